"""A deadlock (PostgreSQL 40P01) or a lock timeout (55P03) anywhere is BUSY — 503, try again —
in the API and on pages, never a 500 (issue 12, invariant 8; STYLE.md)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError

from huiquan.core.locks import as_busy, is_lock_failure
from huiquan.redemptions import services
from tests.merchant_fixtures import AIRCON_GTIN, aircon, code_of

pytestmark = pytest.mark.django_db


def _raise(driver_error: type[psycopg.Error]):  # type: ignore[no-untyped-def]
    """What Django raises when PostgreSQL aborts a statement: its OperationalError, with the
    driver's error (which carries the SQLSTATE) as the cause."""
    def fail(**kwargs):  # type: ignore[no-untyped-def]
        try:
            raise driver_error("deadlock detected")
        except psycopg.Error as exc:
            raise OperationalError(str(exc)) from exc
    return fail


@pytest.mark.parametrize("driver_error", [psycopg.errors.DeadlockDetected,
                                          psycopg.errors.LockNotAvailable])
def test_a_deadlock_or_lock_timeout_is_busy(driver_error):  # type: ignore[no-untyped-def]
    with pytest.raises(OperationalError) as info:
        _raise(driver_error)()
    assert is_lock_failure(info.value)
    busy = as_busy(info.value)
    assert busy is not None and (busy.code, busy.status) == ("BUSY", 503)


def test_another_database_error_is_not_taken_for_busy():  # type: ignore[no-untyped-def]
    with pytest.raises(OperationalError) as info:
        _raise(psycopg.errors.DiskFull)()
    assert as_busy(info.value) is None


def test_the_api_answers_a_deadlock_with_busy(make_merchant, catalog, holder, client,
                                              monkeypatch):  # type: ignore[no-untyped-def]
    from tests.redemptions.test_api import _token

    shop = make_merchant()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {_token(client, shop.till_user.phone)}"}
    person = holder()
    monkeypatch.setattr(services, "redeem_voucher", _raise(psycopg.errors.DeadlockDetected))
    response = client.post("/api/v1/merchant/redemptions",
                           {"payment_code": code_of(person.voucher), "lines": [aircon()]},
                           content_type="application/json", **auth)
    assert response.status_code == 503
    assert response.json()["code"] == "BUSY"


def test_a_page_answers_a_lock_timeout_with_a_busy_page(make_merchant, catalog, holder, client,
                                                         monkeypatch):  # type: ignore[no-untyped-def]
    shop = make_merchant()
    client.force_login(shop.till_user)
    person = holder()
    monkeypatch.setattr(services, "redeem_voucher", _raise(psycopg.errors.LockNotAvailable))
    response = client.post("/merchant/till/", {
        "payment_code": code_of(person.voucher), "mode_1": "gtin", "gtin_1": AIRCON_GTIN,
        "qty_1": "1", "price_1": "5000", "disc_1": "0", "step": "confirm"})
    assert response.status_code == 503
    assert "系统繁忙" in response.content.decode()
