"""Money coming back goes where it can be used (issue 12, R-SCHED-6, R-RET-1, invariant 3).

A return before settlement, or a failed payment releasing its reservation, puts the subsidy back
into the pool open for new releases at that moment: the release while it runs, its period until
the period is carried over, then the next period (or the campaign pool after the last one).
Before issue 12 money coming back after carry-over stayed in the old period's pool, where no
release could ever draw on it, and reconcile was green."""

from __future__ import annotations

import pytest
from django.db import transaction

from huiquan.campaigns import selectors
from huiquan.campaigns.selectors import funding_sources
from huiquan.campaigns.services import _carry_over, perform_due_transitions
from huiquan.core import clock as clock_module
from huiquan.ledger.models import AccountKind, TxKind
from huiquan.ledger.scopes import Scope
from huiquan.ledger.services import transfer
from huiquan.reconcile import reconcile
from huiquan.redemptions import payments, returns
from huiquan.redemptions import services as till
from tests.merchant_fixtures import aircon, redeem_at

pytestmark = pytest.mark.django_db

AFTER_RELEASE_1 = "2024-06-27T09:00:00+08:00"  # release 1 expired 26 June 22:00
AFTER_PERIOD_1 = "2024-08-01T00:00:00+08:00"  # period 1 ends; its leftovers carry over


def _pools(campaign):  # type: ignore[no-untyped-def]
    one, two = campaign.periods.get(number=1), campaign.periods.get(number=2)
    release = one.releases.get(number=1)
    return {
        "release": selectors.release_balance(release),
        "period 1": selectors.pool_total(campaign, AccountKind.PERIOD_POOL, period=one),
        "period 2": selectors.pool_total(campaign, AccountKind.PERIOD_POOL, period=two),
        "campaign": selectors.pool_total(campaign, AccountKind.CAMPAIGN_POOL),
    }


def _move_clock(campaign, when, clock):  # type: ignore[no-untyped-def]
    """Time passes and tick runs: expired releases return their money, periods carry over."""
    if when == "release running":
        return
    clock.set(AFTER_RELEASE_1 if when == "release returned" else AFTER_PERIOD_1)
    perform_due_transitions(campaign=campaign)
    if when == "last period carried over":  # period 2 ends too: nothing comes after it
        with transaction.atomic():
            _carry_over(campaign.periods.get(number=2), clock_module.now())


WHERE = {"release running": "release", "release returned": "period 1",
         "period 1 carried over": "period 2", "last period carried over": "campaign"}


@pytest.mark.parametrize("when", list(WHERE))
def test_a_return_before_settlement_goes_to_the_pool_open_for_new_releases(
        shop, holder, open_release, clock, when):  # type: ignore[no-untyped-def]
    campaign = open_release.period.campaign
    sale = redeem_at(shop, holder().voucher, [aircon(500_000)])  # subsidy 500 yuan
    _move_clock(campaign, when, clock)
    before = _pools(campaign)
    goods_return = returns.return_goods(actor=shop.till_user, redemption_id=sale.pk, items=None,
                                     reason="质量问题")
    assert goods_return.subsidy_back_fen == 50_000
    after = _pools(campaign)
    assert after[WHERE[when]] == before[WHERE[when]] + 50_000, (before, after)
    assert {k: v for k, v in after.items() if k != WHERE[when]} == {
        k: v for k, v in before.items() if k != WHERE[when]}
    rec = reconcile(campaign)
    assert rec.ok, rec.table()


@pytest.mark.parametrize("when", list(WHERE))
def test_a_failed_payment_gives_its_reservation_to_the_pool_open_for_new_releases(
        shop, holder, open_release, clock, monkeypatch, when):  # type: ignore[no-untyped-def]
    campaign = open_release.period.campaign

    def rails_down(self, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("收单通道无应答")

    with monkeypatch.context() as patch:  # the charge never reaches the provider
        patch.setattr(payments.SandboxPaymentProvider, "charge", rails_down)
        sale = redeem_at(shop, holder().voucher, [aircon(500_000)])
    assert sale.state == "pending"
    _move_clock(campaign, when, clock)
    clock.advance(minutes=3)
    before = _pools(campaign)
    # Long unanswered: cancelled at the provider by its key, then failed (issue 12, item 1).
    failed = till.check_payment(redemption=sale)
    assert failed.state == "failed" and failed.failure_code == "PAYMENT_CANCELLED"
    after = _pools(campaign)
    assert after[WHERE[when]] == before[WHERE[when]] + sale.subsidy_fen, (before, after)
    rec = reconcile(campaign)
    assert rec.ok, rec.table()


def test_period_twos_releasable_money_counts_a_return_made_after_carry_over(
        shop, holder, open_release, clock):  # type: ignore[no-untyped-def]
    campaign = open_release.period.campaign
    sale = redeem_at(shop, holder().voucher, [aircon(500_000)])
    clock.set(AFTER_PERIOD_1)
    perform_due_transitions(campaign=campaign)
    two = campaign.periods.get(number=2)
    releasable = selectors.releasable_fen(campaign, two)
    returns.return_goods(actor=shop.till_user, redemption_id=sale.pk, items=None, reason="退货")
    assert selectors.releasable_fen(campaign, two) == releasable + 50_000


def test_reconcile_flags_money_left_in_a_carried_over_pool(open_release, clock):  # type: ignore[no-untyped-def]
    campaign = open_release.period.campaign
    clock.set(AFTER_PERIOD_1)
    perform_due_transitions(campaign=campaign)
    one = campaign.periods.get(number=1)
    assert one.carried_over_at is not None
    with transaction.atomic():  # money put back the way it was before issue 12
        transfer(campaign=campaign, kind=TxKind.RETURN_BEFORE_SETTLEMENT,
                 source_scope=Scope(AccountKind.CAMPAIGN_POOL),
                 dest_scope=Scope(AccountKind.PERIOD_POOL, period=one), amount=12_345,
                 sources=funding_sources(campaign))
    rec = reconcile(campaign)
    assert not rec.ok
    bad = [c for c in rec.checks if not c.ok]
    assert [c.name for c in bad] == ["已结转周期的资金池为零"]
    assert "123.45" in bad[0].detail and "第一周期" in bad[0].detail
