"""The till page and the merchant's redemption pages (through HTTP, as a shop owner uses them)."""

from __future__ import annotations

import pytest

from huiquan.redemptions.models import Redemption
from tests.merchant_fixtures import AIRCON_GTIN, code_of


@pytest.fixture
def shop(make_merchant, catalog, client):  # type: ignore[no-untyped-def]
    merchant = make_merchant()
    client.force_login(merchant.till_user)
    return merchant


def _form(code: str, **rows: str) -> dict[str, str]:
    data = {"payment_code": code, "mode_1": "gtin", "gtin_1": AIRCON_GTIN, "qty_1": "1",
            "price_1": "5000", "disc_1": "200"}
    data.update(rows)
    return data


def test_quote_then_confirm_redeems_once_even_when_clicked_twice(shop, holder, client):  # type: ignore[no-untyped-def]
    person = holder()
    quote = client.post("/merchant/till/", {**_form(""), "step": "quote"})  # goods first, no code
    assert quote.status_code == 200
    page = quote.content.decode()
    assert "480.00" in page and "4,320.00" in page  # subsidy and what the consumer pays
    assert "海尔" in page and "能效 1 级" in page  # the register's brand and grade in the quote
    key, quote_id = quote.context["idempotency_key"], quote.context["quote"].quote_id
    confirm = {**_form(code_of(person.voucher)), "step": "confirm", "idempotency_key": key,
               "quote_id": quote_id}
    first = client.post("/merchant/till/", confirm)
    second = client.post("/merchant/till/", confirm)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Redemption.objects.count() == 1
    receipt = client.get(first["Location"])
    assert "已核销" in receipt.content.decode()
    pdf = client.get(first["Location"] + "confirmation.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    import pypdfium2

    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert "隰县家居消费补贴确认书" in text and "480.00" in text  # real glyphs, not boxes
    assert person.consumer.id_masked in text


@pytest.mark.parametrize(("override", "text"), [
    ({"price_1": "-5"}, "单价"),
    ({"disc_1": "6000"}, "优惠"),
    ({"gtin_1": "6900000000015"}, "校验位"),
    ({"qty_1": "٢"}, "数量"),
    ({"qty_1": "³⁰⁰⁰"}, "数量"),
    ({"price_1": "⁵⁰⁰⁰x"}, "单价"),
    ({"gtin_1": "⁶⁹⁰⁰⁰⁰⁰⁰⁰⁰⁰¹⁵"}, "校验位"),
    ({"gtin_1": "٦٩٠٠٠٠٠٠٠٠٠١٤"}, "商品条码"),
])
def test_bad_input_on_the_till_gets_a_chinese_message(shop, holder, client, override, text):  # type: ignore[no-untyped-def]
    person = holder()
    data = {**_form(code_of(person.voucher)), "step": "quote", **override}
    response = client.post("/merchant/till/", data)
    assert response.status_code == 422
    assert text in response.content.decode()
    assert not Redemption.objects.exists()


def test_untrained_merchant_sees_a_locked_till(make_merchant, client):  # type: ignore[no-untyped-def]
    merchant = make_merchant(trained=False)
    client.force_login(merchant.till_user)
    response = client.get("/merchant/till/")
    assert response.status_code == 403
    assert "培训" in response.content.decode()


def test_another_merchants_redemption_is_not_found(make_merchant, catalog, holder, client):  # type: ignore[no-untyped-def]
    from huiquan.redemptions.services import redeem_voucher
    from tests.merchant_fixtures import aircon

    mine, theirs = make_merchant(), make_merchant()
    r = redeem_voucher(actor=theirs.till_user, payment_code=code_of(holder().voucher),
                       lines=[aircon()])
    client.force_login(mine.till_user)
    assert client.get(f"/merchant/redemptions/{r.pk}/").status_code == 404
    assert client.get(f"/merchant/redemptions/{r.pk}/confirmation.pdf").status_code == 404
    assert client.post(f"/merchant/redemptions/{r.pk}/return/", {"reason": "x", "all": "1"}
                       ).status_code == 404


def test_consumer_cannot_open_the_till(holder, client):  # type: ignore[no-untyped-def]
    client.force_login(holder().user)
    assert client.get("/merchant/till/").status_code == 302
