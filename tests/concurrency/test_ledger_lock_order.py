"""Lock order at the till (issue 12, invariants 3 and 5; PostgreSQL).

The till moves the same accounts in both directions: a reservation takes release pool → reserved,
a failed payment gives reserved → release pool back. When the ledger locked accounts in posting
order (debits first), the two took the same two rows in opposite orders and PostgreSQL killed one
of them with a deadlock (a raw 500). Now every posting locks all its accounts in one statement in
primary-key order before moving anything, and a transfer locks source and destination together.

Forced interleaving: the reservation pauses holding its locks, the failed payment starts and
waits, the reservation goes on. With the lock order restored to posting order (the test-only
switch ``ledger._posting_order_locks``) the same interleaving deadlocks — which shows the test can
see the race."""

from __future__ import annotations

import threading

import pytest

from huiquan.core.locks import as_busy, is_lock_failure
from huiquan.ledger import services as ledger
from huiquan.reconcile import reconcile
from huiquan.redemptions import payments
from huiquan.redemptions import services as till
from huiquan.redemptions.models import Redemption
from tests.concurrency.conftest import (
    postgresql_only,
    record_outcome,
    wait_until_someone_waits_for_a_lock,
)
from tests.merchant_fixtures import aircon, redeem_at

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True), postgresql_only]

DECLINED = payments.PaymentResult("failed", failure_code="DECLINED", message="银行拒绝")


@pytest.fixture
def pending_sale(shop, holder):  # type: ignore[no-untyped-def]
    """A sale whose payment has no answer yet: its subsidy sits in "reserved"."""
    sale = redeem_at(shop, holder().voucher, [aircon(500_061)])  # pays 4,500.55: no answer
    assert sale.state == "pending"
    return sale


def _interleave(first, second):  # type: ignore[no-untyped-def]
    """``first`` pauses inside the ledger right after taking its locks; ``second`` runs until it
    waits for a lock; then ``first`` goes on. Returns both outcomes (a value or the exception)."""
    paused, go = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def hook() -> None:
        if threading.current_thread().name == "first":
            paused.set()
            assert go.wait(timeout=30)

    ledger._between_check_and_write = hook
    try:
        a = threading.Thread(target=record_outcome, args=(first, outcomes, "first"),
                             name="first")
        a.start()
        assert paused.wait(timeout=30)
        b = threading.Thread(target=record_outcome, args=(second, outcomes, "second"))
        b.start()
        wait_until_someone_waits_for_a_lock()
        go.set()
        a.join(timeout=60)
        b.join(timeout=60)
        assert not a.is_alive() and not b.is_alive()
    finally:
        ledger._between_check_and_write = None
    return outcomes["first"], outcomes["second"]


def _reserve_and_release(shop, holder, pending_sale):  # type: ignore[no-untyped-def]
    other = holder()
    return _interleave(
        lambda: redeem_at(shop, other.voucher, [aircon(500_000)]),  # release pool → reserved
        lambda: till._apply_payment(redemption_id=pending_sale.pk, result=DECLINED))  # and back


def test_a_reservation_and_a_failed_payments_release_queue_instead_of_deadlocking(
        shop, holder, pending_sale):  # type: ignore[no-untyped-def]
    sold, released = _reserve_and_release(shop, holder, pending_sale)
    assert isinstance(sold, Redemption) and sold.state == "completed", sold
    assert isinstance(released, Redemption) and released.state == "failed", released
    rec = reconcile(shop.campaign)
    assert rec.ok, rec.table()


def test_with_posting_order_locks_the_same_pair_deadlocks(shop, holder, pending_sale,
                                                          monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ledger, "_posting_order_locks", True)
    outcomes = _reserve_and_release(shop, holder, pending_sale)
    deadlocked = [o for o in outcomes if isinstance(o, Exception) and is_lock_failure(o)]
    assert len(deadlocked) == 1, outcomes  # PostgreSQL broke the cycle by killing one of them
    busy = as_busy(deadlocked[0])
    assert busy is not None and (busy.code, busy.status) == ("BUSY", 503)


def test_a_sale_completing_while_another_reserves_does_not_wait_in_a_cycle(
        shop, holder, pending_sale, clock):  # type: ignore[no-untyped-def]
    """Reserve (pool → reserved) against apply (reserved → merchant payable): they share the
    reserved account; the second queues behind the first and both finish."""
    other = holder()
    clock.advance(minutes=2)  # the late charge has gone through at the provider
    succeeded = payments.provider().status(key=pending_sale.payment_key)
    assert succeeded is not None and succeeded.succeeded
    sold, applied = _interleave(
        lambda: redeem_at(shop, other.voucher, [aircon(500_000)]),
        lambda: till._apply_payment(redemption_id=pending_sale.pk, result=succeeded))
    assert isinstance(sold, Redemption) and sold.state == "completed", sold
    assert isinstance(applied, Redemption) and applied.state == "completed", applied
    rec = reconcile(shop.campaign)
    assert rec.ok, rec.table()
