"""A till that sends the same sale twice at once (a retry while the first is still on its way, the
same Idempotency-Key) gets the first answer twice, never VOUCHER_USED for its own sale (hostile
input second round, F3; STYLE's idempotency habit).

Forced interleaving: both requests finish their scan (no sale yet, nothing to replay) before
either reserves; one reserves first, the other then finds the voucher taken under the lock. With
the protection switched off (no look-up of the key before that refusal) the retry is refused."""

from __future__ import annotations

import threading

import pytest

from huiquan.redemptions import services
from huiquan.redemptions.errors import VoucherUsed
from huiquan.redemptions.models import Redemption
from tests.concurrency.conftest import run_concurrently
from tests.merchant_fixtures import aircon, code_of

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def twins(shop, holder, monkeypatch):  # type: ignore[no-untyped-def]
    """Two identical sale requests whose scans both happen before either reserves."""
    person = holder()
    both_scanned = threading.Barrier(2, timeout=30)
    read = services.scanning.read

    def read_then_wait(*args, **kwargs):  # type: ignore[no-untyped-def]
        scan = read(*args, **kwargs)
        both_scanned.wait()
        return scan

    monkeypatch.setattr(services.scanning, "read", read_then_wait)
    code = code_of(person.voucher)

    def sell():  # type: ignore[no-untyped-def]
        return services.redeem_voucher(actor=shop.till_user, payment_code=code,
                                       lines=[aircon()], idempotency_key="till-7-sale-42")

    return lambda: run_concurrently(sell, [(), ()])


def test_two_concurrent_retries_with_one_key_get_the_same_sale(twins):  # type: ignore[no-untyped-def]
    first, second = twins()
    assert isinstance(first, Redemption), first
    assert isinstance(second, Redemption), second
    assert first.pk == second.pk
    assert Redemption.objects.count() == 1


def test_without_the_key_check_under_the_lock_the_retry_is_refused(twins, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "_replay_if_made", lambda merchant_id, key: None)
    results = twins()
    assert sorted(type(r).__name__ for r in results) == ["Redemption", "VoucherUsed"], results
    assert any(isinstance(r, VoucherUsed) for r in results)
    assert Redemption.objects.count() == 1
