"""The till's read before the write lock may only refuse, never grant (invariant 5, R-USE-3/4).

`scan.read` answers an emptied release, a used voucher or a second redemption without queueing for
the write lock. These tests feed `_reserve` a scan that is stale in the other direction — it saw
money, an approved merchant, no earlier redemption — and check the transaction still refuses and
writes nothing. They also pin the scan's own reads: replays, rotated codes, keyless sales."""

from __future__ import annotations

import dataclasses

import pytest

from huiquan.campaigns.selectors import release_balance
from huiquan.ledger.models import LedgerTransaction
from huiquan.merchants.services import suspend_merchant
from huiquan.redemptions import scan as scanning
from huiquan.redemptions.models import Redemption, RedemptionLine
from huiquan.redemptions.services import redeem_voucher
from tests.concurrency.conftest import unguarded  # noqa: F401 - the protection-off switch
from tests.merchant_fixtures import aircon, code_of, error_code, redeem_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def stale_scan(monkeypatch):  # type: ignore[no-untyped-def]
    """Make `scan.read` report what it read, then let `after` change the world before `_reserve`."""
    def install(after=None, **overrides):  # type: ignore[no-untyped-def]
        real = scanning.read
        pending = [after] if after is not None else []

        def scan(*args, **kwargs):  # type: ignore[no-untyped-def]
            if not pending:  # the change itself (another till's sale) scans for real
                return real(*args, **kwargs)
            seen = dataclasses.replace(real(*args, **kwargs), **overrides)
            pending.pop()()
            return seen
        if not pending:  # no change afterwards: every scan reports the overrides
            def scan(*args, **kwargs):  # type: ignore[no-untyped-def]
                return dataclasses.replace(real(*args, **kwargs), **overrides)
        monkeypatch.setattr(scanning, "read", scan)
    return install


def _nothing_written(before_tx: int) -> None:
    assert not Redemption.objects.exists()
    assert not RedemptionLine.objects.exists()
    assert LedgerTransaction.objects.count() == before_tx


def _stale_money(open_release, stale_scan, monkeypatch):  # type: ignore[no-untyped-def]
    """500 yuan left in the release, but both reads before the ledger "saw" plenty: the scan
    before the write lock, and `_reserve`'s own read of the pool (unlocked: on PostgreSQL
    another till can take the money between it and the ledger's lock)."""
    from tests.helpers import book_redemptions

    book_redemptions(open_release, 300_000_00 - 50_000)
    stale_scan(pool_fen=10**12)
    real = scanning.recheck
    monkeypatch.setattr(scanning, "recheck", lambda *args: dataclasses.replace(
        real(*args), pool_fen=10**12))


def test_a_stale_read_of_money_does_not_grant_a_subsidy(shop, holder, open_release,  # type: ignore[no-untyped-def]
                                                        stale_scan, monkeypatch):
    """Only the ledger's locked read and conditional update stand between the stale reads and
    the money: they refuse, and nothing is written."""
    person = holder()
    _stale_money(open_release, stale_scan, monkeypatch)
    before_tx = LedgerTransaction.objects.count()
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon(1_000_000)])) == "POOL_EXHAUSTED"
    _nothing_written(before_tx)
    assert release_balance(open_release) == 50_000


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("unguarded")
def test_without_the_ledgers_check_the_stale_read_grants_the_subsidy(  # type: ignore[no-untyped-def]
        shop, holder, open_release, stale_scan, monkeypatch):
    """The twin: with the ledger's protection off, the same stale reads pay out money the
    release does not have — so the test above is about the ledger, not an earlier check."""
    person = holder()
    _stale_money(open_release, stale_scan, monkeypatch)
    sale = redeem_at(shop, person.voucher, [aircon(1_000_000)])
    assert sale.state == "completed" and sale.subsidy_fen == 100_000
    assert release_balance(open_release) == 50_000 - 100_000


def test_a_merchant_suspended_after_the_read_is_refused_in_the_transaction(  # type: ignore[no-untyped-def]
        shop, holder, reviewer, stale_scan):
    person = holder()
    before_tx = LedgerTransaction.objects.count()
    stale_scan(after=lambda: suspend_merchant(merchant=shop, actor=reviewer, reason="抽查异常"))
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon()])) == "MERCHANT_SUSPENDED"
    _nothing_written(before_tx)


def test_a_redemption_made_elsewhere_after_the_read_is_refused(shop, holder, make_merchant,  # type: ignore[no-untyped-def]
                                                             stale_scan):
    person = holder()
    other = make_merchant()
    # Another till completes a sale for the same person between this till's read and its lock.
    stale_scan(after=lambda: redeem_at(other, person.voucher, [aircon()]))
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon()])) == "VOUCHER_USED"
    assert Redemption.objects.filter(state="completed").count() == 1


def test_sales_without_a_key_are_never_taken_for_replays(shop, holder):  # type: ignore[no-untyped-def]
    first, second = holder(), holder()
    a = redeem_at(shop, first.voucher, [aircon()])
    b = redeem_at(shop, second.voucher, [aircon()])
    assert a.pk != b.pk and a.consumer_id != b.consumer_id
    assert Redemption.objects.filter(state="completed").count() == 2


def test_a_replay_is_answered_even_after_the_code_rotated(shop, holder, clock):  # type: ignore[no-untyped-def]
    person = holder()
    code = code_of(person.voucher)
    first = redeem_voucher(actor=shop.till_user, payment_code=code, lines=[aircon()],
                           idempotency_key="till-7-xyz")
    clock.advance(minutes=5)  # the code on the receipt is long gone; the answer is not
    again = redeem_voucher(actor=shop.till_user, payment_code=code, lines=[aircon()],
                           idempotency_key="till-7-xyz")
    assert again.pk == first.pk
    assert error_code(lambda: redeem_voucher(actor=shop.till_user, payment_code=code,
                                        lines=[aircon()])) == "PAYMENT_CODE_INVALID"


def test_another_merchants_key_is_not_a_replay(shop, holder, make_merchant):  # type: ignore[no-untyped-def]
    first, second = holder(), holder()
    other = make_merchant()
    a = redeem_at(shop, first.voucher, [aircon()], idempotency_key="same-key")
    b = redeem_at(other, second.voucher, [aircon()], idempotency_key="same-key")
    assert a.pk != b.pk and b.merchant_id == other.pk


def test_someone_who_is_not_staff_gets_the_tills_refusal(holder, make_user, catalog):  # type: ignore[no-untyped-def]
    person = holder()
    stranger = make_user("bureau", username="stranger")
    assert error_code(lambda: redeem_voucher(actor=stranger, payment_code=code_of(person.voucher),
                                        lines=[aircon()])) == "MERCHANT_NOT_APPROVED"
