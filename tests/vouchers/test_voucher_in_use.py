"""While a till's sale is pending (the payment in flight), the resident's voucher is "in use"
(使用中) everywhere the resident looks, and its payment code is not offered; when the sale is
decided it is used, or usable again (hostile input second round, F9; R-USE-1)."""

from __future__ import annotations

import pytest
from django.test import Client

from huiquan.redemptions.models import RedemptionState
from huiquan.redemptions.services import check_payment
from tests.merchant_fixtures import aircon, redeem_at
from tests.redemptions.test_payment_faults import price_paying

pytestmark = pytest.mark.django_db
LATE, DECLINED = 55, 44  # the sandbox's amounts: no answer in time; declined


def _signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def in_flight(shop, holder):  # type: ignore[no-untyped-def]
    """A resident whose voucher a till has just scanned, the payment not answered yet."""
    person = holder()
    sale = redeem_at(shop, person.voucher, [aircon(price_paying(LATE))])
    assert sale.state == RedemptionState.PENDING
    person.sale = sale
    return person


def test_the_api_shows_a_voucher_in_a_pending_sale_as_in_use_without_a_code(in_flight, client):  # type: ignore[no-untyped-def]
    mine = client.get("/api/v1/me/vouchers", HTTP_AUTHORIZATION=f"Bearer {in_flight.token}")
    assert mine.status_code == 200
    (voucher,) = mine.json()
    assert voucher["state"] == "in_use"
    assert voucher["payment_code"] is None and voucher["payment_code_seconds_left"] is None


def test_the_coupon_card_says_in_use_and_shows_no_code(in_flight):  # type: ignore[no-untyped-def]
    client = _signed_in(in_flight.user)
    page = client.get("/").content.decode()
    assert "使用中" in page and 'data-state="in_use"' in page
    assert 'id="paycode"' not in page and "刷新付款码" not in page
    assert client.get(f"/m/voucher.json?id={in_flight.voucher.pk}").json() == {
        "state": "in_use", "sale_state": "pending"}
    refused = client.get("/m/paycode.json")
    assert refused.status_code == 409 and refused.json()["code"] == "VOUCHER_IN_USE"


def test_once_the_sale_completes_the_voucher_is_used(in_flight, clock):  # type: ignore[no-untyped-def]
    clock.advance(minutes=1)  # the sandbox's late payment succeeds a minute later
    assert check_payment(redemption=in_flight.sale).state == RedemptionState.COMPLETED
    state = _signed_in(in_flight.user).get(f"/m/voucher.json?id={in_flight.voucher.pk}").json()
    assert state == {"state": "used", "sale_state": "completed"}


def test_a_declined_sale_gives_the_code_back(shop, holder, client):  # type: ignore[no-untyped-def]
    from huiquan.core.errors import DomainError

    person = holder()
    with pytest.raises(DomainError):
        redeem_at(shop, person.voucher, [aircon(price_paying(DECLINED))])
    (voucher,) = client.get("/api/v1/me/vouchers",
                            HTTP_AUTHORIZATION=f"Bearer {person.token}").json()
    assert voucher["state"] == "valid" and len(voucher["payment_code"]) == 18
    page = _signed_in(person.user).get("/").content.decode()
    assert 'id="paycode"' in page and "使用中" not in page
