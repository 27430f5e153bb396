"""Returns racing other writers (issue 12, R-SCHED-6, invariant 4; PostgreSQL).

A return locks only its own redemption row: claims go on while it runs (it used to lock the
campaign row too, which every claim's voucher insert must key-share).

The return chooses the pool open for new releases with the period row locked; carry-over updates
that row first, so it waits until the return has booked its money into the period, then carries
it along. With the period lock taken away (the twin) carry-over runs in between and the return's
money lands in a pool that has already been carried over: stranded, and reconcile says so."""

from __future__ import annotations

import threading

import pytest

from huiquan.campaigns import selectors
from huiquan.campaigns import services as campaign_services
from huiquan.campaigns.models import Campaign
from huiquan.campaigns.services import confirm_release
from huiquan.ledger.models import AccountKind
from huiquan.reconcile import reconcile
from huiquan.redemptions import returns
from huiquan.redemptions.models import GoodsReturn
from huiquan.vouchers.models import Voucher
from huiquan.vouchers.services import claim_voucher
from tests.concurrency.conftest import (
    postgresql_only,
    record_outcome,
    wait_until_someone_waits_for_a_lock,
)
from tests.conftest import INSIDE_LINFEN
from tests.merchant_fixtures import aircon, redeem_at

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True), postgresql_only]


@pytest.fixture
def sale_before_carry_over(shop, holder, open_release, clock):  # type: ignore[no-untyped-def]
    """A completed sale of release 1; the release has returned its money to period 1, and
    period 1 has just ended: carry-over is due."""
    sale = redeem_at(shop, holder().voucher, [aircon(500_000)])  # subsidy 500 yuan
    clock.set("2024-06-27T09:00:00+08:00")
    campaign_services.perform_due_transitions(campaign=open_release.period.campaign)
    clock.set("2024-08-01T00:00:00+08:00")
    return sale


def _race(shop, sale, other, *, other_waits: bool, monkeypatch):  # type: ignore[no-untyped-def]
    """The return pauses inside its transaction (its rows locked, its pool chosen) while
    ``other`` runs; ``other_waits``: ``other`` must queue for a lock, else it must finish."""
    paused, go = threading.Event(), threading.Event()
    real = returns.move_by_source

    def pausing(**kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "return":  # the pool is chosen by now
            paused.set()
            assert go.wait(timeout=30)
        return real(**kwargs)

    monkeypatch.setattr(returns, "move_by_source", pausing)
    outcomes: dict[str, object] = {}
    returning = threading.Thread(name="return", target=record_outcome, args=(lambda: returns.return_goods(
        actor=shop.till_user, redemption_id=sale.pk, items=None, reason="退货"), outcomes,
        "return"))
    meanwhile = threading.Thread(target=record_outcome, args=(other, outcomes, "other"))
    returning.start()
    assert paused.wait(timeout=30)
    meanwhile.start()
    if other_waits:
        wait_until_someone_waits_for_a_lock()
    else:
        meanwhile.join(timeout=20)
        finished = not meanwhile.is_alive()
    go.set()
    returning.join(timeout=60)
    meanwhile.join(timeout=60)
    assert not returning.is_alive() and not meanwhile.is_alive()
    if not other_waits:
        assert finished, "it waited for the paused return"
    return outcomes


def _tick():  # type: ignore[no-untyped-def]
    return campaign_services.perform_due_transitions(campaign=Campaign.objects.get())


def _period_pool(campaign, number):  # type: ignore[no-untyped-def]
    return selectors.pool_total(campaign, AccountKind.PERIOD_POOL,
                                period=campaign.periods.get(number=number))


def test_carry_over_waits_for_a_return_and_carries_its_money_along(
        shop, sale_before_carry_over, monkeypatch):  # type: ignore[no-untyped-def]
    campaign = shop.campaign
    in_period_one = _period_pool(campaign, 1)
    _race(shop, sale_before_carry_over, _tick, other_waits=True, monkeypatch=monkeypatch)
    assert _period_pool(campaign, 1) == 0
    assert _period_pool(campaign, 2) == in_period_one + 50_000
    rec = reconcile(campaign)
    assert rec.ok, rec.table()


def test_without_the_period_lock_the_return_is_stranded(shop, sale_before_carry_over,
                                                        monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(campaign_services, "lock_one",
                        lambda model, pk, no_key=False: model.objects.get(pk=pk))
    _race(shop, sale_before_carry_over, _tick, other_waits=False, monkeypatch=monkeypatch)
    assert _period_pool(shop.campaign, 1) == 50_000  # after carry-over: nobody can use it
    rec = reconcile(shop.campaign)
    assert [c.name for c in rec.checks if not c.ok] == ["已结转周期的资金池为零"]


def test_a_claim_goes_on_while_a_return_is_in_progress(shop, holder, make_consumer, bureau,
                                                        clock, monkeypatch):  # type: ignore[no-untyped-def]
    """A sale of last week's release is returned while this week's release is being claimed:
    the return locks its redemption (and its own release and period), not the campaign row
    that every claim's voucher insert key-shares."""
    sale = redeem_at(shop, holder().voucher, [aircon(500_000)])
    this_week = sale.release.period.releases.get(number=2)
    clock.set("2024-06-28T09:00:00+08:00")
    confirm_release(release=this_week, amount_fen=10 * 2_000_00, reason="测试", actor=bureau)
    clock.set("2024-06-28T10:00:00+08:00")
    person = make_consumer()

    def claim():  # type: ignore[no-untyped-def]
        return claim_voucher(consumer=person.consumer, release_id=this_week.pk, **INSIDE_LINFEN)

    outcomes = _race(shop, sale, claim, other_waits=False, monkeypatch=monkeypatch)
    assert isinstance(outcomes["other"], Voucher), outcomes
    assert isinstance(outcomes["return"], GoodsReturn), outcomes
