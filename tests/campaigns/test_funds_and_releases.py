"""Receiving funds and confirming releases at the service level (R-FUND-2, R-SCHED-4/7,
R-ROLE-1). Every refusal changes nothing."""

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.campaigns import selectors
from huiquan.campaigns.errors import (
    CampaignError,
    FundsNotReceived,
    OverCommitted,
    ReasonRequired,
    ReleaseNotConfirmable,
)
from huiquan.campaigns.services import confirm_release, receive_funds
from huiquan.core.errors import PermissionRefused
from huiquan.core.roles import Role
from huiquan.ledger.models import LedgerTransaction

pytestmark = pytest.mark.django_db


def _state():
    return LedgerTransaction.objects.count(), AuditEntry.objects.count()


@pytest.fixture
def city(campaign):
    return campaign.funding_sources.get(code="city")


@pytest.mark.parametrize("amount", [0, -1, 1.5, "100", True, None])
def test_receiving_a_non_integer_or_non_positive_amount_is_refused(city, finance, amount):
    before = _state()
    with pytest.raises(CampaignError) as refused:
        receive_funds(source=city, amount_fen=amount, reference="x", actor=finance)
    assert refused.value.code == "AMOUNT_INVALID"
    assert _state() == before


def test_receiving_more_than_committed_is_refused_with_the_numbers(city, finance):
    receive_funds(source=city, amount_fen=300_000_00, reference="第一笔", actor=finance)
    before = _state()
    with pytest.raises(OverCommitted) as refused:
        receive_funds(source=city, amount_fen=60_000_01, reference="第二笔", actor=finance)
    assert "本次最多还能登记 60,000.00 元" in refused.value.message
    assert _state() == before


def test_receiving_without_a_reference_is_refused(city, finance):
    with pytest.raises(CampaignError) as refused:
        receive_funds(source=city, amount_fen=1, reference="  ", actor=finance)
    assert refused.value.code == "REFERENCE_REQUIRED"


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR, Role.MARKET, Role.CONSUMER,
                                  Role.MERCHANT])
def test_roles_without_the_duty_cannot_receive_funds(city, make_user, role):
    before = _state()
    with pytest.raises(PermissionRefused) as refused:
        receive_funds(source=city, amount_fen=1, reference="x", actor=make_user(role))
    assert refused.value.code == "FORBIDDEN"
    assert _state() == before


def test_nobody_without_an_active_account_can_act(city, make_user):
    inactive = make_user(Role.BUREAU, username="left-the-bureau")
    inactive.is_active = False
    inactive.save()
    for actor in (None, inactive):
        with pytest.raises(PermissionRefused):
            receive_funds(source=city, amount_fen=1, reference="x", actor=actor)


def test_only_the_bureau_confirms_a_release(campaign, city, finance):
    receive_funds(source=city, amount_fen=360_000_00, reference="x", actor=finance)
    release = campaign.periods.get(number=1).releases.get(number=1)
    with pytest.raises(PermissionRefused):
        confirm_release(release=release, amount_fen=300_000_00, actor=finance)


def test_a_release_larger_than_received_money_names_the_missing_source(campaign, bureau):
    """R-FUND-2."""
    release = campaign.periods.get(number=1).releases.get(number=1)
    before = _state()
    with pytest.raises(FundsNotReceived) as refused:
        confirm_release(release=release, amount_fen=300_000_00, actor=bureau)
    assert "可投放的已到位资金只有 240,000.00 元" in refused.value.message
    assert "市级财政补贴 尚有 360,000.00 元未到位" in refused.value.message
    assert _state() == before
    release.refresh_from_db()
    assert release.confirmed_at is None and release.remaining_count == 0


def test_over_issuing_vouchers_needs_a_reason_and_is_recorded(campaign, city, finance, bureau):
    """R-SCHED-7: more vouchers than amount ÷ expected subsidy, with a recorded reason."""
    receive_funds(source=city, amount_fen=360_000_00, reference="x", actor=finance)
    release = campaign.periods.get(number=1).releases.get(number=1)
    with pytest.raises(ReasonRequired):
        confirm_release(release=release, amount_fen=300_000_00, voucher_count=200, actor=bureau)
    confirm_release(release=release, amount_fen=300_000_00, voucher_count=200,
                    reason="上周平均补贴约1,500元", actor=bureau)
    release.refresh_from_db()
    assert (release.voucher_count, release.remaining_count) == (200, 200)
    entry = AuditEntry.objects.filter(action="release.confirm").get()
    assert entry.actor == bureau and entry.role == "bureau"
    assert entry.after == {"amount_fen": 300_000_00, "voucher_count": 200,
                           "reason": "上周平均补贴约1,500元"}
    assert entry.before["proposed_fen"] == 300_000_00


@pytest.mark.parametrize("count", [0, -3, 10_000_001, 2.5])
def test_an_impossible_voucher_count_is_refused(campaign, city, finance, bureau, count):
    receive_funds(source=city, amount_fen=360_000_00, reference="x", actor=finance)
    release = campaign.periods.get(number=1).releases.get(number=1)
    with pytest.raises(CampaignError):
        confirm_release(release=release, amount_fen=300_000_00, voucher_count=count,
                        reason="x", actor=bureau)
    assert selectors.release_balance(release) == 0


def test_a_release_whose_vouchers_already_expired_cannot_be_confirmed(campaign, bureau, clock):
    release = campaign.periods.get(number=1).releases.get(number=1)
    clock.set("2024-06-26T22:00:00+08:00")
    assert selectors.release_state(release) == "missed"
    with pytest.raises(ReleaseNotConfirmable):
        confirm_release(release=release, amount_fen=100_00, reason="x", actor=bureau)
