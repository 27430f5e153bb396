"""Invariant 5 / R-USE-4 under many tills at once: one release with less money than its
vouchers could draw. The pool never goes below zero, each consumer has at most one live
redemption, losers get POOL_EXHAUSTED or VOUCHER_USED (never a crash), reconcile is green —
and with the protection switched off the same rush overdraws the pool."""

from __future__ import annotations

import pytest

from huiquan.campaigns.models import Release
from huiquan.campaigns.selectors import release_balance
from huiquan.campaigns.services import confirm_release, receive_funds
from huiquan.core.errors import DomainError
from huiquan.ledger.models import Account
from huiquan.reconcile import reconcile
from huiquan.redemptions.models import Redemption
from huiquan.redemptions.services import redeem_voucher
from huiquan.vouchers.services import claim_voucher
from tests.concurrency.conftest import run_concurrently
from tests.conftest import INSIDE_LINFEN
from tests.merchant_fixtures import aircon, code_of

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]
PEOPLE = 12
FITS = 10  # the release holds 10 subsidies of 1,000 yuan


@pytest.fixture
def drained(campaign, finance, bureau, clock, catalog, make_merchant, make_consumer):  # type: ignore[no-untyped-def]
    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000_00,
                  reference="x", actor=finance)
    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=FITS * 1_000_00, voucher_count=PEOPLE,
                    reason="超发测试：按上周平均补贴", actor=bureau)
    clock.set("2024-06-21T10:00:00+08:00")
    release = Release.objects.get(pk=release.pk)
    tills = [make_merchant() for _ in range(3)]
    vouchers = []
    for _ in range(PEOPLE):
        person = make_consumer()
        vouchers.append(claim_voucher(consumer=person.consumer, release_id=release.pk,
                                      **INSIDE_LINFEN))
    return release, tills, vouchers


def _rush(tills, vouchers):  # type: ignore[no-untyped-def]
    def redeem(till, voucher):  # type: ignore[no-untyped-def]
        return redeem_voucher(actor=till.till_user, payment_code=code_of(voucher),
                              lines=[aircon(1_000_000)])

    calls = [(tills[i % len(tills)], v) for i, v in enumerate(vouchers)]
    calls += [(tills[(i + 1) % len(tills)], v) for i, v in enumerate(vouchers[:4])]  # 2nd till
    return run_concurrently(redeem, calls)


def test_many_tills_never_overdraw_the_release(drained):  # type: ignore[no-untyped-def]
    release, tills, vouchers = drained
    results = _rush(tills, vouchers)
    crashes = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    assert not crashes, crashes
    codes = sorted({r.code for r in results if isinstance(r, DomainError)})
    assert set(codes) <= {"POOL_EXHAUSTED", "VOUCHER_USED", "BUSY"}, codes
    done = Redemption.objects.filter(state="completed")
    assert done.count() == FITS
    assert release_balance(release) == 0
    assert not Account.objects.filter(balance_fen__lt=0).exclude(kind="funding_source").exists()
    assert done.values("consumer").distinct().count() == done.count()
    rec = reconcile(release.period.campaign)
    assert rec.ok, rec.table()


def test_without_the_guard_the_same_rush_overdraws(drained, unguarded):  # type: ignore[no-untyped-def]
    release, tills, vouchers = drained
    _rush(tills, vouchers)
    assert Redemption.objects.filter(state="completed").count() > FITS
    assert release_balance(release) < 0
