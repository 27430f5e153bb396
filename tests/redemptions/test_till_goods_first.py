"""The till, goods first and the payment code last (issue 16, item 1): the quote touches no
voucher, the code is checked once when the sale is confirmed (so it cannot lapse between quote
and sale), and goods or prices that no longer give the quote shown are refused with
QUOTE_CHANGED and the new quote."""

from __future__ import annotations

import re

import pytest

from huiquan.campaigns.models import Campaign
from huiquan.redemptions.models import Redemption
from huiquan.redemptions.services import quote_for, redeem_voucher
from tests.merchant_fixtures import AIRCON_GTIN, aircon, code_of, error_code, sofa_line


@pytest.fixture
def till(make_merchant, catalog, client):  # type: ignore[no-untyped-def]
    merchant = make_merchant()
    client.force_login(merchant.till_user)
    return merchant


def _goods(**rows: str) -> dict[str, str]:
    return {"mode_1": "gtin", "gtin_1": AIRCON_GTIN, "qty_1": "1", "price_1": "5000",
            "disc_1": "200", **rows}


def test_a_quote_needs_no_code_and_a_sale_confirmed_minutes_later_goes_through(
        till, holder, clock):  # type: ignore[no-untyped-def]
    person = holder()
    quote = quote_for(actor=till.till_user, lines=[aircon(500_000, 20_000)])
    assert (quote.subsidy_fen, quote.consumer_pays_fen) == (48_000, 432_000)
    line = quote.lines[0]
    assert (line.product.brand, line.kind_name, line.product.grade) == ("海尔", "家用空调", 1)
    assert not Redemption.objects.exists()
    clock.advance(seconds=76)  # the cashier talks, the customer thinks: the old code is stale
    sale = redeem_voucher(actor=till.till_user, payment_code=code_of(person.voucher),
                          lines=[aircon(500_000, 20_000)], quote_id=quote.quote_id,
                          idempotency_key="sale-1")
    assert sale.state == "completed" and sale.subsidy_fen == 48_000


def test_goods_changed_after_the_quote_are_refused_with_the_new_quote(till, holder):  # type: ignore[no-untyped-def]
    person = holder()
    quote = quote_for(actor=till.till_user, lines=[aircon(500_000)])
    with pytest.raises(Exception) as info:
        redeem_voucher(actor=till.till_user, payment_code=code_of(person.voucher),
                       lines=[aircon(600_000)], quote_id=quote.quote_id)
    assert info.value.code == "QUOTE_CHANGED" and info.value.status == 409
    assert info.value.quote.subsidy_fen == 60_000
    assert "补贴 600.00 元" in info.value.message
    assert not Redemption.objects.exists()


def test_terms_changed_after_the_quote_are_refused_too(till, holder, campaign):  # type: ignore[no-untyped-def]
    person = holder()
    quote = quote_for(actor=till.till_user, lines=[aircon(2_500_000)])
    assert quote.subsidy_fen == 200_000
    Campaign.objects.filter(pk=campaign.pk).update(subsidy_cap_fen=150_000)
    assert error_code(lambda: redeem_voucher(
        actor=till.till_user, payment_code=code_of(person.voucher), lines=[aircon(2_500_000)],
        quote_id=quote.quote_id)) == "QUOTE_CHANGED"


def test_the_same_sale_repeated_with_the_customers_newer_code_is_the_same_sale(till, holder,
                                                                              clock):  # type: ignore[no-untyped-def]
    """The till lost the answer; the customer's code has rotated since: same key, same goods,
    same voucher → the sale already made, not IDEMPOTENCY_MISMATCH."""
    person = holder()
    first = redeem_voucher(actor=till.till_user, payment_code=code_of(person.voucher),
                           lines=[aircon()], idempotency_key="k-9")
    clock.advance(minutes=3)
    again = redeem_voucher(actor=till.till_user, payment_code=code_of(person.voucher),
                           lines=[aircon()], idempotency_key="k-9")
    assert again.pk == first.pk
    assert error_code(lambda: redeem_voucher(
        actor=till.till_user, payment_code=code_of(person.voucher), lines=[aircon(123_400)],
        idempotency_key="k-9")) == "IDEMPOTENCY_MISMATCH"


def test_the_till_page_quote_then_code_after_two_minutes(till, holder, client, clock):  # type: ignore[no-untyped-def]
    person = holder()
    quoted = client.post("/merchant/till/", {**_goods(), "step": "quote"})
    assert quoted.status_code == 200
    assert 'id="payment_code"' in quoted.content.decode()  # the code comes last, after the quote
    clock.advance(minutes=2)
    done = client.post("/merchant/till/", {
        **_goods(), "step": "confirm", "payment_code": code_of(person.voucher),
        "quote_id": quoted.context["quote"].quote_id,
        "idempotency_key": quoted.context["idempotency_key"]})
    assert done.status_code == 302
    assert Redemption.objects.get().state == "completed"


def test_the_till_page_shows_the_new_quote_when_the_price_changed(till, holder, client):  # type: ignore[no-untyped-def]
    person = holder()
    quoted = client.post("/merchant/till/", {**_goods(), "step": "quote"})
    changed = client.post("/merchant/till/", {
        **_goods(price_1="6000"), "step": "confirm", "payment_code": code_of(person.voucher),
        "quote_id": quoted.context["quote"].quote_id,
        "idempotency_key": quoted.context["idempotency_key"]})
    assert changed.status_code == 422
    page = changed.content.decode()
    assert 'data-code="QUOTE_CHANGED"' in page
    assert changed.context["quote"].subsidy_fen == 58_000  # the new quote, to confirm again
    assert 'id="payment_code"' in page
    assert not Redemption.objects.exists()


@pytest.mark.parametrize(("code", "text"), [
    ("100000000000000000", "付款码无效"),
    ("١٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠", "付款码无效"),
    ("", "付款码无效"),
])
def test_a_bad_code_at_confirm_keeps_the_quote_on_screen(till, client, code, text):  # type: ignore[no-untyped-def]
    quoted = client.post("/merchant/till/", {**_goods(), "step": "quote"})
    response = client.post("/merchant/till/", {
        **_goods(), "step": "confirm", "payment_code": code,
        "quote_id": quoted.context["quote"].quote_id,
        "idempotency_key": quoted.context["idempotency_key"]})
    assert response.status_code == 422
    page = response.content.decode()
    assert text in page and 'id="payment_code"' in page and "480.00" in page
    assert not Redemption.objects.exists()


def test_a_furniture_shop_starts_in_furniture_an_appliance_shop_with_a_barcode(
        make_merchant, catalog, client):  # type: ignore[no-untyped-def]
    furniture = make_merchant(categories=["furniture"])
    client.force_login(furniture.till_user)
    page = client.get("/merchant/till/").content.decode()
    assert len(re.findall(r'<fieldset class="line"', page)) == 1  # one row to start with
    assert re.search(r'<option value="kind:furniture" selected>家居', page)
    assert "家电类" not in page.split('id="mode_1"')[1].split("</select>")[0]
    assert "添加商品" in page
    appliances = make_merchant()
    client.force_login(appliances.till_user)
    page = client.get("/merchant/till/").content.decode()
    assert re.search(r'<option value="gtin" selected>家电类', page)


def test_add_goods_without_javascript_adds_a_row_and_shows_the_scanned_goods(till, client):  # type: ignore[no-untyped-def]
    response = client.post("/merchant/till/", {**_goods(), "step": "add"})
    page = response.content.decode()
    assert len(re.findall(r'<fieldset class="line"', page)) == 2
    goods = page.split('id="goods_1"')[1].split("</p>")[0]
    assert "海尔" in goods and "家用空调" in goods and "能效 1 级" in goods


def test_every_till_input_has_a_visible_label(till, client):  # type: ignore[no-untyped-def]
    for page in (client.get("/merchant/till/"),
                 client.post("/merchant/till/", {**_goods(), "step": "quote"})):
        html = page.content.decode()
        labels = set(re.findall(r'<label for="([^"]+)"', html))
        fields = [m for m in re.findall(r'<(?:input|select)([^>]*)>', html)
                  if 'type="hidden"' not in m]
        assert fields
        for attrs in fields:
            ident = re.search(r'id="([^"]+)"', attrs)
            assert ident and ident.group(1) in labels, attrs


@pytest.mark.parametrize(("gtin", "found", "eligible", "text"), [
    (AIRCON_GTIN, True, True, "在目录中"),
    ("6900000000991", False, False, "不在目录中"),
    ("6900000000015", False, False, "校验位"),
])
def test_the_goods_look_up_answers_at_once(till, client, gtin, found, eligible, text):  # type: ignore[no-untyped-def]
    body = client.get("/merchant/till/goods", {"gtin": gtin}).json()
    assert (body["found"], body["eligible"]) == (found, eligible)
    assert text in body["message"]
    if found:
        assert (body["brand"], body["kind"], body["grade"]) == ("海尔", "家用空调", 1)


def test_the_look_up_says_when_the_shop_does_not_sell_that_category(make_merchant, catalog,
                                                                    client):  # type: ignore[no-untyped-def]
    shop = make_merchant(categories=["furniture"])
    client.force_login(shop.till_user)
    body = client.get("/merchant/till/goods", {"gtin": AIRCON_GTIN}).json()
    assert body["found"] and not body["eligible"] and "未登记经营" in body["message"]


def test_quotes_over_the_api(till, holder, client):  # type: ignore[no-untyped-def]
    from django.test import Client

    from tests.redemptions.test_api import _token

    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {_token(api, till.till_user.phone)}"}
    person = holder()
    lines = [aircon(500_000, 20_000), sofa_line(till.campaign, price_fen=300_000)]
    quoted = api.post("/api/v1/merchant/quotes", {"lines": lines},
                      content_type="application/json", **auth)
    assert quoted.status_code == 200, quoted.json()
    q = quoted.json()
    assert (q["subsidy_fen"], q["consumer_pays_fen"]) == (78_000, 702_000)
    assert q["lines"][0]["brand"] == "海尔" and q["lines"][0]["grade"] == 1
    assert q["lines"][1]["category"] == "家居类"
    assert not Redemption.objects.exists()
    changed = api.post("/api/v1/merchant/redemptions", {
        "payment_code": code_of(person.voucher), "lines": [aircon(500_000)],
        "quote_id": q["quote_id"]}, content_type="application/json", **auth)
    assert (changed.status_code, changed.json()["code"]) == (409, "QUOTE_CHANGED")
    sold = api.post("/api/v1/merchant/redemptions", {
        "payment_code": code_of(person.voucher), "lines": lines, "quote_id": q["quote_id"]},
        content_type="application/json", HTTP_IDEMPOTENCY_KEY="q-1", **auth)
    assert sold.status_code == 201 and sold.json()["subsidy_fen"] == 78_000


def test_a_sale_stored_before_the_change_still_replays(till, holder):  # type: ignore[no-untyped-def]
    """Fingerprints stored before issue 16 hashed the code itself: a replay still matches."""
    from huiquan.redemptions.idempotency import body_hash

    person = holder()
    code = code_of(person.voucher)
    first = redeem_voucher(actor=till.till_user, payment_code=code, lines=[aircon()],
                           idempotency_key="old-1")
    Redemption.objects.filter(pk=first.pk).update(request_hash=body_hash(code, [aircon()]))
    again = redeem_voucher(actor=till.till_user, payment_code=code, lines=[aircon()],
                           idempotency_key="old-1")
    assert again.pk == first.pk


def test_the_running_subsidy_counts_priced_rows_only(till, client):  # type: ignore[no-untyped-def]
    body = client.post("/merchant/till/quote", {
        **_goods(), "mode_2": "gtin", "gtin_2": "6900000000991", "qty_2": "1"}).json()
    assert body == {"ok": True, "subsidy": "480.00", "pays": "4,320.00", "total": "4,800.00"}
    refused = client.post("/merchant/till/quote", _goods(gtin_1="6900000000991")).json()
    assert not refused["ok"] and refused["code"] == "NOT_ELIGIBLE_GOODS"
    assert not Redemption.objects.exists()
