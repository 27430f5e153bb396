"""Parallel guesses at the till cannot get more "wrong code" answers than the limit (issue 11,
item 2): 25 wrong scans from one till user at once → exactly 10 PAYMENT_CODE_INVALID, the rest
SCAN_LOCKED, one lock in the audit log. With the conditional upsert switched off (read the
counter, then write it) the same burst gets past the limit."""

from __future__ import annotations

import threading

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.core.errors import DomainError
from huiquan.redemptions import scanlock
from huiquan.redemptions.models import ScanGuard
from huiquan.redemptions.services import redeem_voucher
from tests.concurrency.conftest import run_concurrently
from tests.merchant_fixtures import aircon

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]
BURST = 25


def _burst(user):  # type: ignore[no-untyped-def]
    def scan(n):  # type: ignore[no-untyped-def]
        try:
            redeem_voucher(actor=user, payment_code=f"{20_000_000 + n:08d}{n:010d}",
                           lines=[aircon()])
        except DomainError as exc:
            return exc.code
        return "GRANTED"

    return run_concurrently(scan, [(n,) for n in range(BURST)])


def test_a_burst_of_wrong_codes_gets_exactly_the_limit(shop):  # type: ignore[no-untyped-def]
    results = _burst(shop.till_user)
    crashes = [r for r in results if isinstance(r, BaseException)]
    assert not crashes, crashes
    assert results.count("PAYMENT_CODE_INVALID") == scanlock.PER_USER
    assert results.count("SCAN_LOCKED") == BURST - scanlock.PER_USER
    guard = ScanGuard.objects.get(kind="u", subject_id=shop.till_user.pk)
    assert guard.failures == scanlock.PER_USER and guard.locked_until is not None
    assert AuditEntry.objects.filter(action="redemption.scan_locked").count() == 1


def test_without_the_conditional_update_the_burst_gets_past_the_limit(shop, unguarded,  # type: ignore[no-untyped-def]
                                                                      monkeypatch):
    # Every guess reads the counter before any writes it (forced interleaving, no sleep).
    everyone_read = threading.Barrier(BURST, timeout=20)

    def wait() -> None:
        try:
            everyone_read.wait()
        except threading.BrokenBarrierError:
            pass

    monkeypatch.setattr(scanlock, "_between_read_and_write", wait)
    results = _burst(shop.till_user)
    assert results.count("PAYMENT_CODE_INVALID") > scanlock.PER_USER
