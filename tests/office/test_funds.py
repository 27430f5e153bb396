"""Recording money arriving (R-FUND-2): amounts typed in yuan, refusals in Chinese, nothing
half-written."""

import pytest

from huiquan.core.roles import Role
from tests.office.support import audit_count, field_html, received

pytestmark = pytest.mark.django_db
DOC = "临财〔2024〕1号"


def test_finance_records_the_city_money(client, campaign, finance, city):
    client.force_login(finance)
    response = client.post("/office/funds/", {"source": city.pk, "amount": "360,000",
                                              "reference": DOC})
    assert response.status_code == 302 and response["Location"] == "/office/funds/"
    page = client.get("/office/funds/").content.decode()
    assert "已登记 市级财政补贴 资金到位 360,000.00 元" in page
    assert DOC in page  # the receipts list shows the document number
    assert received(campaign, city) == 360_000_00


def test_the_form_offers_the_source_still_waiting_for_money(client, campaign, finance, city):
    client.force_login(finance)
    html = client.get("/office/funds/").content.decode()
    assert f'<option value="{city.pk}" selected>市级财政补贴</option>' in html
    assert "登记到位" in html


@pytest.mark.parametrize("amount, field_message", [
    ("-5", "金额只能是数字"),
    ("abc", "金额只能是数字"),
    ("1.234", "两位小数"),
    ("0", "金额必须大于零"),
    ("", "这个字段是必填项"),
    ("360000.01", "本次最多还能登记 360,000.00 元"),
])
def test_bad_amounts_are_shown_next_to_the_field_and_change_nothing(client, campaign, finance,
                                                                    city, amount, field_message):
    client.force_login(finance)
    before = audit_count()
    response = client.post("/office/funds/", {"source": city.pk, "amount": amount,
                                              "reference": DOC})
    assert response.status_code in (400, 409)
    html = response.content.decode()
    field = field_html(html, "amount")
    assert field_message in field  # next to the amount field, in Chinese
    assert f'value="{amount}"' in html or amount == ""  # what was typed is kept
    assert received(campaign, city) == 0
    assert audit_count() == before


def test_over_committed_after_a_first_receipt_names_what_is_left(client, campaign, finance,
                                                                 city):
    client.force_login(finance)
    client.post("/office/funds/", {"source": city.pk, "amount": "300000", "reference": DOC})
    response = client.post("/office/funds/", {"source": city.pk, "amount": "60000.01",
                                              "reference": "临财〔2024〕2号"})
    assert response.status_code == 409
    assert "本次最多还能登记 60,000.00 元" in response.content.decode()
    assert received(campaign, city) == 300_000_00


def test_a_missing_document_number_or_unknown_source_is_refused(client, campaign, finance, city):
    client.force_login(finance)
    response = client.post("/office/funds/", {"source": city.pk, "amount": "1", "reference": " "})
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    response = client.post("/office/funds/", {"source": "99999", "amount": "1", "reference": DOC})
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()
    assert received(campaign, city) == 0


def test_an_empty_post_is_a_form_with_errors_not_a_crash(client, campaign, finance, city):
    client.force_login(finance)
    response = client.post("/office/funds/", {})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.MARKET])
def test_other_staff_see_the_funds_but_cannot_record_them(client, campaign, make_user, city,
                                                          role):
    client.force_login(make_user(role))
    page = client.get("/office/funds/").content.decode()
    assert "登记到位" not in page and "您的角色只能查看" in page
    response = client.post("/office/funds/", {"source": city.pk, "amount": "1", "reference": DOC})
    assert response.status_code == 403
    assert "需要的角色" in response.content.decode()
    assert received(campaign, city) == 0


def test_the_auditor_changes_nothing_even_by_posting_directly(client, campaign, auditor, city):
    client.force_login(auditor)
    before = audit_count()
    response = client.post("/office/funds/", {"source": city.pk, "amount": "1", "reference": DOC})
    assert response.status_code == 403
    assert "审计角色为只读" in response.content.decode()
    assert received(campaign, city) == 0 and audit_count() == before


def test_a_consumer_with_a_forged_role_field_is_still_refused(client, campaign, make_user, city):
    """R-ROLE-1: the role comes from the user row, never from the request."""
    client.force_login(make_user(Role.CONSUMER))
    response = client.post("/office/funds/", {"source": city.pk, "amount": "360000",
                                              "reference": DOC, "role": Role.BUREAU})
    assert response.status_code == 403
    assert received(campaign, city) == 0
