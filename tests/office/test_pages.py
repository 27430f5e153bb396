"""The back office as its users see it: roles, forms, refusals in Chinese (R-ROLE-1, R-FUND-2)."""

import pytest

from huiquan.campaigns import selectors
from huiquan.campaigns.models import Release
from huiquan.core.roles import Role

pytestmark = pytest.mark.django_db

PAGES = ["/office/", "/office/funds/", "/office/releases/", "/office/audit/", "/office/reconcile/"]


def _first_release(campaign) -> Release:
    return campaign.periods.get(number=1).releases.get(number=1)


@pytest.mark.parametrize("url", PAGES)
def test_every_office_page_loads_for_each_staff_role(client, campaign, make_user, url):
    for role in (Role.BUREAU, Role.FINANCE, Role.REVIEWER, Role.AUDITOR, Role.MARKET):
        client.force_login(make_user(role, username=f"u-{role}"))
        response = client.get(url)
        assert response.status_code == 200, (role, url)
        assert "畅享家居·乐购隰州" in response.content.decode()


@pytest.mark.parametrize("url", [*PAGES, "/office/releases/1/"])
def test_anonymous_visitors_are_sent_to_log_in(client, campaign, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/office/login/")


def test_a_consumer_account_cannot_see_the_office(client, campaign, make_user):
    client.force_login(make_user(Role.CONSUMER))
    response = client.get("/office/")
    assert response.status_code == 403
    assert "后台仅限工作人员使用" in response.content.decode()


def test_overview_shows_the_two_sources_and_six_releases(client, campaign, bureau):
    client.force_login(bureau)
    html = client.get("/office/").content.decode()
    assert "县级财政" in html and "市级财政补贴" in html
    assert "240,000.00" in html and "360,000.00" in html
    assert html.count("第6批") == 1 and "第7批" not in html
    assert "300,000.00" in html  # the plan's first release
    assert "2024-07-31" in html  # last day shown, not the exclusive end
    assert "对账通过" in html


def test_unknown_release_is_a_chinese_404(client, campaign, bureau):
    client.force_login(bureau)
    response = client.get("/office/releases/999999/")
    assert response.status_code == 404
    assert "没有这个批次" in response.content.decode()


@pytest.mark.parametrize("amount, message", [
    ("-5", "金额只能是数字"), ("abc", "金额只能是数字"), ("1.234", "两位小数"),
    ("0", "金额必须大于零"), ("360000.01", "本次最多还能登记 360,000.00 元"),
])
def test_bad_fund_amounts_are_refused_and_change_nothing(client, campaign, finance, amount,
                                                        message):
    client.force_login(finance)
    city = campaign.funding_sources.get(code="city")
    response = client.post("/office/funds/", {"source": city.pk, "amount": amount,
                                              "reference": "临财〔2024〕1号"})
    assert response.status_code in (400, 409)
    assert message in response.content.decode()
    assert next(f for f in selectors.funds_by_source(campaign) if f.source == city).received == 0


def test_finance_records_the_city_money_then_the_bureau_confirms_once(client, campaign, finance,
                                                                      bureau):
    city = campaign.funding_sources.get(code="city")
    client.force_login(finance)
    response = client.post("/office/funds/", {"source": city.pk, "amount": "360000",
                                              "reference": "临财〔2024〕1号"}, follow=True)
    assert "已登记 市级财政补贴 资金到位" in response.content.decode()

    release = _first_release(campaign)
    client.force_login(bureau)
    page = client.get(f"/office/releases/{release.pk}/").content.decode()
    assert "方案规定的本批次金额" in page and 'value="300000"' in page and 'value="150"' in page
    response = client.post(f"/office/releases/{release.pk}/",
                           {"amount": "300000", "voucher_count": "150", "reason": ""}, follow=True)
    assert "已确认投放" in response.content.decode()
    again = client.post(f"/office/releases/{release.pk}/",
                        {"amount": "300000", "voucher_count": "150", "reason": ""})
    assert again.status_code == 409  # a double-submitted confirm: a clear refusal, no 500
    assert "不能再次确认" in again.content.decode()
    release.refresh_from_db()
    assert release.amount_fen == 300_000_00 and release.voucher_count == 150
    assert selectors.release_balance(release) == 300_000_00


def test_confirming_before_the_city_money_names_what_is_missing(client, campaign, bureau):
    release = _first_release(campaign)
    client.force_login(bureau)
    response = client.post(f"/office/releases/{release.pk}/",
                           {"amount": "300000", "voucher_count": "150", "reason": ""})
    assert response.status_code == 409
    assert "市级财政补贴 尚有 360,000.00 元未到位" in response.content.decode()
    release.refresh_from_db()
    assert release.confirmed_at is None


def test_the_auditor_changes_nothing_even_by_posting_directly(client, campaign, auditor):
    client.force_login(auditor)
    city = campaign.funding_sources.get(code="city")
    release = _first_release(campaign)
    for url, data in [("/office/funds/", {"source": city.pk, "amount": "1", "reference": "x"}),
                      (f"/office/releases/{release.pk}/", {"amount": "1", "voucher_count": "1",
                                                            "reason": "x"}),
                      ("/office/tick/", {})]:
        response = client.post(url, data)
        assert response.status_code == 403
        assert "审计角色为只读" in response.content.decode()
    assert selectors.funds_by_source(campaign)[1].received == 0
    release.refresh_from_db()
    assert release.confirmed_at is None


def test_a_forged_role_field_gives_no_power(client, campaign, reviewer):
    """R-ROLE-1: the role comes from the user row, never from the request."""
    client.force_login(reviewer)
    release = _first_release(campaign)
    response = client.post(f"/office/releases/{release.pk}/",
                           {"amount": "300000", "voucher_count": "150", "role": "bureau"})
    assert response.status_code == 403
    assert "需要的角色" in response.content.decode()
    release.refresh_from_db()
    assert release.confirmed_at is None


def test_audit_page_filters_and_reports_an_intact_chain(client, campaign, bureau):
    client.force_login(bureau)
    html = client.get("/office/audit/", {"action": "funds.receive"}).content.decode()
    assert "审计链完整" in html
    assert "县级财政 资金到位 240,000.00 元" in html
    assert "载入活动文件" not in html


def test_login_locks_after_five_wrong_passwords(client, campaign, make_user):
    make_user(Role.BUREAU, username="zhang", password="right-password-123")
    for _ in range(5):
        client.post("/office/login/", {"username": "zhang", "password": "wrong"})
    response = client.post("/office/login/", {"username": "zhang",
                                              "password": "right-password-123"})
    assert "账号已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_with_the_right_password_opens_the_office(client, campaign, make_user):
    make_user(Role.BUREAU, username="li", password="right-password-123")
    response = client.post("/office/login/", {"username": "li", "password": "right-password-123"},
                           follow=True)
    assert response.status_code == 200
    assert "资金（按来源）" in response.content.decode()
