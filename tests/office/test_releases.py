"""The bureau decides a release (R-SCHED-4, R-SCHED-7) from received money only (R-FUND-2)."""

import pytest

from huiquan.campaigns import selectors
from huiquan.campaigns.services import receive_funds
from huiquan.core.roles import Role
from tests.office.support import audit_count, field_html

pytestmark = pytest.mark.django_db
PLAN = {"amount": "300000", "voucher_count": "150", "reason": ""}


@pytest.fixture
def city_money(campaign, city, finance):  # type: ignore[no-untyped-def]
    receive_funds(source=city, amount_fen=360_000_00, reference="临财〔2024〕1号", actor=finance)


def test_overview_shows_sources_periods_releases_and_the_next_decision(client, campaign, bureau,
                                                                       first_release):
    client.force_login(bureau)
    html = client.get("/office/").content.decode()
    assert "县级财政" in html and "市级财政补贴" in html
    assert "240,000.00" in html and "360,000.00" in html and "600,000.00" in html
    assert html.count("第6批") == 1 and "第7批" not in html
    assert "方案 </span>300,000.00" in html
    assert "2024-06-21 至 2024-07-31" in html  # the last day, not the exclusive end
    assert "2024-06-21 10:00 周五" in html and "2024-06-26 22:00 周三" in html
    assert "未开始" in html and "待确认金额" in html
    assert f'href="/office/releases/{first_release.pk}/"' in html
    assert "对账通过" in html


def test_the_release_page_shows_the_proposal_with_its_inputs(client, campaign, bureau,
                                                             first_release, city_money):
    client.force_login(bureau)
    html = client.get(f"/office/releases/{first_release.pk}/").content.decode()
    assert "方案规定的本批次金额" in html
    assert "<td>方案金额</td><td class=\"num\">300,000.00</td>" in html
    assert 'value="300000"' in html and 'value="150"' in html
    assert "确认投放" in html


def test_bureau_confirms_the_first_release_once(client, campaign, bureau, first_release,
                                                city_money):
    client.force_login(bureau)
    url = f"/office/releases/{first_release.pk}/"
    response = client.post(url, PLAN)
    assert response.status_code == 302 and response["Location"] == url
    html = client.get(url).content.decode()
    assert "已确认投放" in html
    assert "300,000.00 元，150 张" in html and "（按建议，无调整）" in html
    assert "bureau-user" in html and "已确认，待开抢" in html
    first_release.refresh_from_db()
    assert first_release.amount_fen == 300_000_00 and first_release.voucher_count == 150
    assert selectors.release_balance(first_release) == 300_000_00

    before = audit_count()
    again = client.post(url, PLAN)  # a double-submitted form
    assert again.status_code == 409
    assert "已确认" in again.content.decode() and "不能再次确认" in again.content.decode()
    assert selectors.release_balance(first_release) == 300_000_00 and audit_count() == before


def test_a_changed_amount_needs_a_reason_shown_next_to_it(client, campaign, bureau,
                                                          first_release, city_money):
    client.force_login(bureau)
    url = f"/office/releases/{first_release.pk}/"
    response = client.post(url, {"amount": "200000", "voucher_count": "100", "reason": ""})
    assert response.status_code == 422
    field = field_html(response.content.decode(), "reason")
    assert "请填写调整理由" in field
    first_release.refresh_from_db()
    assert first_release.confirmed_at is None

    response = client.post(url, {"amount": "200000", "voucher_count": "100",
                                 "reason": "城市资金分两次到位"}, follow=True)
    assert "城市资金分两次到位" in response.content.decode()
    first_release.refresh_from_db()
    assert first_release.amount_fen == 200_000_00


def test_confirming_before_the_city_money_names_what_is_missing(client, campaign, bureau,
                                                                first_release):
    client.force_login(bureau)
    response = client.post(f"/office/releases/{first_release.pk}/", PLAN)
    assert response.status_code == 409
    assert "市级财政补贴 尚有 360,000.00 元未到位" in response.content.decode()
    first_release.refresh_from_db()
    assert first_release.confirmed_at is None


@pytest.mark.parametrize("data, message", [
    ({"amount": "abc", "voucher_count": "150"}, "金额只能是数字"),
    ({"amount": "300000", "voucher_count": "0"}, "确保该值大于或等于1"),
    ({"amount": "300000", "voucher_count": "x"}, "输入整数"),
])
def test_bad_confirm_inputs_change_nothing(client, campaign, bureau, first_release, city_money,
                                           data, message):
    client.force_login(bureau)
    response = client.post(f"/office/releases/{first_release.pk}/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    first_release.refresh_from_db()
    assert first_release.confirmed_at is None


def test_a_release_past_its_expiry_offers_no_form(client, campaign, bureau, first_release, clock):
    clock.set("2024-06-27T09:00:00+08:00")
    client.force_login(bureau)
    html = client.get(f"/office/releases/{first_release.pk}/").content.decode()
    assert "未确认，未发放" in html and "确认投放</button>" not in html


def test_the_auditor_changes_nothing_even_by_posting_directly(client, campaign, auditor,
                                                             first_release, city_money):
    client.force_login(auditor)
    html = client.get(f"/office/releases/{first_release.pk}/").content.decode()
    assert "确认投放</button>" not in html
    for url, data in [(f"/office/releases/{first_release.pk}/", PLAN), ("/office/tick/", {})]:
        response = client.post(url, data)
        assert response.status_code == 403
        assert "审计角色为只读" in response.content.decode()
    first_release.refresh_from_db()
    assert first_release.confirmed_at is None


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.FINANCE, Role.CONSUMER])
def test_a_forged_role_field_gives_no_power(client, campaign, make_user, first_release,
                                            city_money, role):
    """R-ROLE-1: the role comes from the user row, never from the request."""
    client.force_login(make_user(role, username=f"forger-{role}"))
    response = client.post(f"/office/releases/{first_release.pk}/",
                           {**PLAN, "role": Role.BUREAU})
    assert response.status_code == 403
    first_release.refresh_from_db()
    assert first_release.confirmed_at is None


def test_the_releases_list_links_every_release(client, campaign, reviewer):
    client.force_login(reviewer)
    html = client.get("/office/releases/").content.decode()
    for release in campaign.periods.get(number=1).releases.all():
        assert f'href="/office/releases/{release.pk}/"' in html
    assert "本周期尚无批次" in html  # period 2: its form is decided later


def test_the_bureau_can_run_due_transitions_now(client, campaign, bureau):
    client.force_login(bureau)
    response = client.post("/office/tick/", follow=True)
    assert "没有到期的事项" in response.content.decode()
