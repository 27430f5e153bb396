"""Period 1 lived through the clock: releases open, expire, return money, proposals follow
last week's redemptions, the money runs out early, leftovers carry over.
R-SCHED-2..7, R-FUND-2, invariants 2 and 3."""

import pytest

from huiquan.audit.selectors import verify_chain
from huiquan.campaigns import selectors
from huiquan.campaigns.errors import ReasonRequired, ReleaseNotConfirmable
from huiquan.campaigns.services import confirm_release, perform_due_transitions, receive_funds
from huiquan.ledger.models import AccountKind, LedgerTransaction, TxKind
from huiquan.reconcile import reconcile
from tests.helpers import book_redemptions

pytestmark = pytest.mark.django_db
YUAN = 100


def _green(campaign) -> None:
    rec = reconcile(campaign)
    assert rec.ok, rec.table()
    assert verify_chain().ok


def _release(period, number):
    return period.releases.get(number=number)


@pytest.fixture
def funded(campaign, finance):
    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000 * YUAN,
                  reference="临财〔2024〕1号", actor=finance)
    return campaign


def test_a_release_opens_on_the_second_and_its_money_comes_back_at_expiry(funded, bureau,
                                                                         clock):
    period = funded.periods.get(number=1)
    first = _release(period, 1)
    confirm_release(release=first, amount_fen=300_000 * YUAN, actor=bureau)
    first.refresh_from_db()

    clock.set("2024-06-21T09:59:59+08:00")
    assert selectors.release_state(first) == "scheduled"
    clock.advance(seconds=1)
    assert selectors.release_state(first) == "open"  # R-CLAIM-2: not one second early

    book_redemptions(first, 80_000 * YUAN)
    clock.set("2024-06-26T21:59:59+08:00")
    assert perform_due_transitions(campaign=funded) == []
    clock.advance(seconds=1)
    assert selectors.release_state(first) == "expired"
    assert perform_due_transitions(campaign=funded) == ["第一周期第1批 到期，退回 220,000.00 元"]
    assert perform_due_transitions(campaign=funded) == []  # tick twice: nothing more
    first.refresh_from_db()
    assert selectors.release_state(first) == "returned"
    assert selectors.pool_total(funded, AccountKind.PERIOD_POOL, period=period) == 220_000 * YUAN
    assert LedgerTransaction.objects.filter(kind=TxKind.RELEASE_RETURN).count() == 1
    _green(funded)


def test_week_two_proposal_follows_last_weeks_redemptions(funded, bureau, clock):
    """R-SCHED-4: the rule, its inputs, and a changed amount needs a reason."""
    period = funded.periods.get(number=1)
    confirm_release(release=_release(period, 1), amount_fen=300_000 * YUAN, actor=bureau)
    clock.set("2024-06-21T10:00:00+08:00")
    book_redemptions(_release(period, 1), 80_000 * YUAN)
    clock.set("2024-06-27T09:00:00+08:00")  # Thursday, after the Wednesday expiry

    second = _release(period, 2)
    proposal = selectors.propose(second)
    available = 520_000 * YUAN  # 600,000 received − 80,000 redeemed (220,000 to be returned)
    assert proposal.inputs["上周核券金额"] == "80,000.00"
    assert proposal.inputs["可投放资金"] == "520,000.00"
    assert proposal.inputs["剩余批次数（含本批）"] == 5
    assert proposal.amount_fen == max(80_000 * YUAN, available // 5) == 104_000 * YUAN
    assert proposal.voucher_count == 52
    assert "上周核券金额" in proposal.rule

    with pytest.raises(ReasonRequired):
        confirm_release(release=second, amount_fen=90_000 * YUAN, actor=bureau)
    confirm_release(release=second, amount_fen=90_000 * YUAN, reason="上周需求偏低，先少发",
                    actor=bureau)
    second.refresh_from_db()
    assert second.proposed_amount_fen == 104_000 * YUAN
    assert second.decision_reason == "上周需求偏低，先少发"
    assert second.confirmed_by == bureau
    assert second.voucher_count == 45
    # The confirmation first returned week 1's money, inside the same transaction.
    assert _release(period, 1).returned_at is not None
    _green(funded)


def test_the_period_ends_early_when_every_fen_is_used(funded, bureau, clock):
    """R-SCHED-5: all money redeemed → period 1 ends, its later releases are cancelled."""
    period = funded.periods.get(number=1)
    confirm_release(release=_release(period, 1), amount_fen=300_000 * YUAN, actor=bureau)
    clock.set("2024-06-21T10:00:00+08:00")
    book_redemptions(_release(period, 1), 300_000 * YUAN)
    clock.set("2024-06-27T09:00:00+08:00")
    second = _release(period, 2)
    assert selectors.propose(second).amount_fen == 300_000 * YUAN
    confirm_release(release=second, amount_fen=300_000 * YUAN, actor=bureau)
    clock.set("2024-06-28T10:00:00+08:00")
    book_redemptions(second, 300_000 * YUAN)
    _green(funded)

    clock.advance(minutes=1)
    done = perform_due_transitions(campaign=funded)
    assert done == ["第一周期 资金用完，提前结束"]
    period.refresh_from_db()
    assert period.ended_early_at == clock.now()
    assert selectors.period_state(period) == "已提前结束（资金用完）"
    cancelled = list(period.releases.filter(cancelled_at__isnull=False).values_list("number",
                                                                                  flat=True))
    assert cancelled == [3, 4, 5, 6]
    with pytest.raises(ReleaseNotConfirmable):
        confirm_release(release=_release(period, 3), amount_fen=100 * YUAN, reason="x",
                        actor=bureau)
    assert perform_due_transitions(campaign=funded) == []
    _green(funded)


def test_money_not_yet_received_is_not_used_up(campaign, bureau, clock):
    """R-SCHED-5 with R-FUND-2: spending the county's money does not end the period while the
    city's money is still to come."""
    period = campaign.periods.get(number=1)
    confirm_release(release=_release(period, 1), amount_fen=240_000 * YUAN,
                    reason="市级资金未到位，先发县级资金", actor=bureau)
    clock.set("2024-06-21T10:00:00+08:00")
    book_redemptions(_release(period, 1), 240_000 * YUAN)
    assert perform_due_transitions(campaign=campaign) == []
    period.refresh_from_db()
    assert period.ended_early_at is None


def test_leftover_money_carries_over_to_period_two_once(funded, bureau, clock):
    """R-SCHED-6: after 31 July the period's balance moves to period 2, exactly once."""
    period = funded.periods.get(number=1)
    for number, when in [(1, "2024-06-20T09:00:00+08:00"), (6, "2024-07-25T09:00:00+08:00")]:
        clock.set(when)
        release = _release(period, number)
        amount = selectors.propose(release).amount_fen
        confirm_release(release=release, amount_fen=amount, actor=bureau)
        clock.set(release.opens_at)
        book_redemptions(release, 50_000 * YUAN)
    clock.set("2024-07-31T22:00:00+08:00")  # release 6 expires; the period is not over yet
    done = perform_due_transitions(campaign=funded)
    assert len(done) == 1 and done[0].startswith("第一周期第6批 到期，退回")
    assert funded.periods.get(number=1).carried_over_at is None
    clock.set("2024-08-01T00:00:00+08:00")
    done = perform_due_transitions(campaign=funded)
    assert done == ["第一周期 结转 500,000.00 元"]
    assert perform_due_transitions(campaign=funded) == []
    second = funded.periods.get(number=2)
    assert selectors.pool_total(funded, AccountKind.PERIOD_POOL, period=second) == 500_000 * YUAN
    assert selectors.pool_total(funded, AccountKind.PERIOD_POOL, period=period) == 0
    assert LedgerTransaction.objects.filter(kind=TxKind.CARRY_OVER).count() == 1
    _green(funded)
