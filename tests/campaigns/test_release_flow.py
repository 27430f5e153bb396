"""A quick walk through the money of period 1 (R-FUND-2, R-SCHED-4, R-SCHED-6)."""

import pytest

from huiquan.campaigns import selectors
from huiquan.campaigns.errors import FundsNotReceived, ReleaseAlreadyConfirmed
from huiquan.campaigns.services import confirm_release, perform_due_transitions, receive_funds
from huiquan.reconcile import reconcile

pytestmark = pytest.mark.django_db


def test_first_release_needs_the_city_money_then_funds_and_returns(campaign, bureau, finance,
                                                                   clock):
    period = campaign.periods.get(number=1)
    first = period.releases.get(number=1)
    with pytest.raises(FundsNotReceived) as refused:
        confirm_release(release=first, amount_fen=300_000_00, actor=bureau)
    assert "市级财政补贴 尚有 360,000.00 元未到位" in refused.value.message
    assert selectors.release_balance(first) == 0

    city = campaign.funding_sources.get(code="city")
    receive_funds(source=city, amount_fen=360_000_00, reference="临财〔2024〕1号", actor=finance)
    confirm_release(release=first, amount_fen=300_000_00, actor=bureau)
    first.refresh_from_db()
    assert first.voucher_count == 150  # R-SCHED-7: 300,000 ÷ 2,000
    assert selectors.release_balance(first) == 300_000_00
    with pytest.raises(ReleaseAlreadyConfirmed):
        confirm_release(release=first, amount_fen=300_000_00, actor=bureau)

    clock.set("2024-06-26T22:00:00+08:00")
    assert selectors.release_state(first) == "expired"
    done = perform_due_transitions(campaign=campaign)
    assert len(done) == 1
    assert perform_due_transitions(campaign=campaign) == []
    assert selectors.release_balance(first) == 0
    assert selectors.releasable_fen(campaign, period) == 600_000_00
    assert reconcile(campaign).ok
