"""A NUL character (or a lone surrogate) anywhere a request carries text is refused at the edge,
with the field named, never a 500 (hostile input second round, F1; invariant 8). PostgreSQL
refuses NUL in every text value, so these tests matter most there (run them with DATABASE_URL)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from huiquan.core.text_guard import storable
from huiquan.redemptions.models import GoodsReturn, Redemption
from tests.merchant_fixtures import AIRCON_GTIN, aircon, code_of
from tests.redemptions.test_api import _token

pytestmark = pytest.mark.django_db


@pytest.fixture
def calm() -> Client:
    """A client that answers a server error as a 500 (instead of raising it in the test)."""
    return Client(raise_request_exception=False)


@pytest.fixture
def till(make_merchant, catalog, calm):  # type: ignore[no-untyped-def]
    shop = make_merchant()
    shop.headers = {"HTTP_AUTHORIZATION": f"Bearer {_token(calm, shop.till_user.phone)}"}
    return shop


def _refused_as_json(response, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.content[:300]
    body = json.loads(response.content)
    assert body["code"] == "TEXT_INVALID" and field in body["message"], body


def _refused_as_page(response, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.content[:300]
    page = response.content.decode()
    assert "无法保存的字符" in page and field in page and "<html" in page


def test_storable_text_has_no_nul_and_no_lone_surrogate():
    assert storable("张三 ㍿ 🀄 \\u0000")
    assert not storable("a\x00b") and not storable("\ud800") and not storable("\udfff")


def test_a_nul_in_a_sale_line_over_the_api_is_text_invalid_and_nothing_is_written(  # type: ignore[no-untyped-def]
        till, holder, calm):
    person = holder()
    response = calm.post("/api/v1/merchant/redemptions",
                         {"payment_code": code_of(person.voucher),
                          "lines": [aircon(description="空调\x00挂机")]},
                         content_type="application/json", **till.headers)
    _refused_as_json(response, "lines.0.description")
    assert Redemption.objects.count() == 0


def test_a_nul_in_the_idempotency_key_header_is_text_invalid(till, holder, calm):  # type: ignore[no-untyped-def]
    person = holder()
    response = calm.post("/api/v1/merchant/redemptions",
                         {"payment_code": code_of(person.voucher), "lines": [aircon()]},
                         content_type="application/json", HTTP_IDEMPOTENCY_KEY="k\x00",
                         **till.headers)
    _refused_as_json(response, "Idempotency-Key")
    assert Redemption.objects.count() == 0


def test_a_nul_in_a_return_reason_over_the_api_is_text_invalid(till, holder, calm):  # type: ignore[no-untyped-def]
    person = holder()
    sale = calm.post("/api/v1/merchant/redemptions",
                     {"payment_code": code_of(person.voucher), "lines": [aircon()]},
                     content_type="application/json", **till.headers).json()
    response = calm.post(f"/api/v1/merchant/redemptions/{sale['id']}/returns",
                         {"reason": "顾客\x00退货"}, content_type="application/json",
                         **till.headers)
    _refused_as_json(response, "reason")
    assert GoodsReturn.objects.count() == 0


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\uDFFF"])
def test_an_escaped_nul_or_lone_surrogate_in_a_name_is_text_invalid(holder, calm, escape):  # type: ignore[no-untyped-def]
    person = holder()
    body = ('{"name": "张' + escape + '三", "id_number": "141031198001011234", '
            '"privacy_consent": "2024-06-v1"}')
    response = calm.post("/api/v1/me/identity", body, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {person.token}")
    _refused_as_json(response, "name")


def test_an_escaped_backslash_before_u0000_is_ordinary_text(calm, campaign):  # type: ignore[no-untyped-def]
    """``"\\\\u0000"`` in JSON is six printable characters: the field's own check answers."""
    response = calm.post("/api/v1/auth/otp", '{"phone": "\\\\u0000"}',
                         content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "PHONE_INVALID"


def test_a_nul_in_an_api_query_string_is_text_invalid(till, calm):  # type: ignore[no-untyped-def]
    response = calm.get("/api/v1/catalog/products?gtin=69%0012", **till.headers)
    _refused_as_json(response, "gtin")


@pytest.mark.parametrize("query", ["/office/catalog/?q=a%00b", "/office/audit/?actor=a%00b",
                                   "/office/merchants/?q=%00"])
def test_a_nul_in_an_office_search_box_gets_a_chinese_page(bureau, calm, query):  # type: ignore[no-untyped-def]
    calm.force_login(bureau)
    _refused_as_page(calm.get(query), query.split("?")[1].split("=")[0])


def test_a_nul_in_an_address_gets_a_chinese_page(bureau, calm):  # type: ignore[no-untyped-def]
    calm.force_login(bureau)
    _refused_as_page(calm.get("/office/merchants/1%00/"), "地址")


def test_a_nul_in_the_till_form_gets_a_chinese_page_and_no_sale(till, holder, calm):  # type: ignore[no-untyped-def]
    person = holder()
    calm.force_login(till.till_user)
    form = {"payment_code": code_of(person.voucher), "mode_1": "gtin", "gtin_1": AIRCON_GTIN,
            "desc_1": "挂机\x00", "qty_1": "1", "price_1": "5000", "step": "confirm",
            "idempotency_key": "k1"}
    _refused_as_page(calm.post("/merchant/till/", form), "desc_1")
    assert Redemption.objects.count() == 0


def test_a_nul_in_a_return_reason_on_the_page_gets_a_chinese_page(till, holder, calm):  # type: ignore[no-untyped-def]
    person = holder()
    sale = calm.post("/api/v1/merchant/redemptions",
                     {"payment_code": code_of(person.voucher), "lines": [aircon()]},
                     content_type="application/json", **till.headers).json()
    calm.force_login(till.till_user)
    response = calm.post(f"/merchant/redemptions/{sale['id']}/return/",
                         {"reason": "坏了\x00", "all": "1"})
    _refused_as_page(response, "reason")
    assert GoodsReturn.objects.count() == 0


def test_a_nul_in_the_merchant_application_form_gets_a_chinese_page(campaign, calm):  # type: ignore[no-untyped-def]
    from tests.merchant_fixtures import merchant_user

    calm.force_login(merchant_user("15900009999"))
    _refused_as_page(calm.post("/merchant/", {"legal_name": "隰县\x00家电"}), "legal_name")


def test_an_ordinary_request_is_not_touched(till, holder, calm):  # type: ignore[no-untyped-def]
    person = holder()
    response = calm.post("/api/v1/merchant/redemptions",
                         {"payment_code": code_of(person.voucher),
                          "lines": [aircon(description="格力 \\u0000 空调")]},
                         content_type="application/json", **till.headers)
    assert response.status_code == 201, response.content


def test_a_nul_in_an_uploaded_file_name_gets_a_chinese_page(campaign, calm):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.merchant_fixtures import licence_png, merchant_user

    calm.force_login(merchant_user("15900009998"))
    calm.post("/merchant/", {"legal_name": "隰县家电"})
    upload = SimpleUploadedFile("执照\x00.png", licence_png(), content_type="image/png")
    response = calm.post("/merchant/application/", {"legal_name": "隰县家电", "licence": upload})
    assert response.status_code in (302, 422), response.content[:300]
    if response.status_code == 422:
        _refused_as_page(response, "文件名")
    from huiquan.merchants.models import Merchant

    assert all(storable(m.licence.name) for m in Merchant.objects.all())  # Django drops it
