"""Returns after settlement: a receivable, netted in the next run or repaid (R-RET-2)."""

from __future__ import annotations

import pytest

from huiquan.ledger.models import AccountKind
from huiquan.ledger.selectors import party_balance
from huiquan.redemptions.returns import return_goods
from huiquan.settlement import clawbacks, selectors
from huiquan.settlement.models import Receivable, RecoveryKind
from tests.merchant_fixtures import error_code
from tests.settlement.support import assert_reconciled, settle_fully

pytestmark = pytest.mark.django_db


def test_a_return_after_settlement_is_netted_in_the_next_run(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2):
    sold = approved_sale(shop)
    settle_fully(campaign, finance, finance2)
    return_goods(actor=shop.till_user, redemption_id=sold.pk, items=None, reason="质量问题")
    assert party_balance(campaign, AccountKind.CLAWBACK_RECEIVABLE) == sold.subsidy_fen
    assert_reconciled(campaign)  # the receivable is in the ledger before settlement knows it
    later = approved_sale(shop, 800_000)
    run = settle_fully(campaign, finance, finance2)
    payout = run.payouts.get()
    assert payout.gross_fen == later.subsidy_fen
    assert payout.netted_fen == sold.subsidy_fen
    assert payout.amount_fen == later.subsidy_fen - sold.subsidy_fen
    receivable = Receivable.objects.get()
    assert receivable.open_fen == 0
    assert receivable.recoveries.get().kind == RecoveryKind.NETTED
    assert party_balance(campaign, AccountKind.CLAWBACK_RECEIVABLE) == 0
    assert_reconciled(campaign)


def test_a_receivable_larger_than_the_next_payout_is_netted_in_part(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2):
    sold = approved_sale(shop, 800_000)
    settle_fully(campaign, finance, finance2)
    return_goods(actor=shop.till_user, redemption_id=sold.pk, items=None, reason="退货")
    later = approved_sale(shop, 300_000)
    run = settle_fully(campaign, finance, finance2)
    payout = run.payouts.get()
    assert (payout.netted_fen, payout.amount_fen) == (later.subsidy_fen, 0)
    receivable = Receivable.objects.get()
    assert receivable.open_fen == sold.subsidy_fen - later.subsidy_fen
    assert_reconciled(campaign)


def test_finance_records_a_repayment_and_old_receivables_flag_the_merchant(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2, clock):
    sold = approved_sale(shop)
    settle_fully(campaign, finance, finance2)
    return_goods(actor=shop.till_user, redemption_id=sold.pk, items=None, reason="退货")
    assert clawbacks.refresh_receivables(campaign=campaign, actor=finance) == 1
    assert clawbacks.refresh_receivables(campaign=campaign, actor=finance) == 0
    receivable = Receivable.objects.get()
    [row] = selectors.open_receivables(campaign)
    assert (row.age_days, row.overdue) == (0, False)
    clock.advance(days=31)
    [row] = selectors.open_receivables(campaign)
    assert row.overdue and selectors.flagged_merchants(campaign) == {shop.pk}
    assert error_code(lambda: clawbacks.record_repayment(
        receivable_id=receivable.pk, amount_fen=sold.subsidy_fen + 1, reference="T1",
        actor=finance)) == "RECEIVABLE_INVALID"
    assert error_code(lambda: clawbacks.record_repayment(
        receivable_id=receivable.pk, amount_fen=100, reference=" ", actor=finance)) \
        == "RECEIVABLE_INVALID"
    clawbacks.record_repayment(receivable_id=receivable.pk, amount_fen=100,
                               reference="ＨＸ２０２４", actor=finance)  # full-width: NFKC
    clawbacks.record_repayment(receivable_id=receivable.pk, amount_fen=sold.subsidy_fen - 100,
                               reference="HX2025", actor=finance)
    assert selectors.open_receivables(campaign) == []
    assert [r.reference for r in receivable.recoveries.all()] == ["HX2024", "HX2025"]
    assert party_balance(campaign, AccountKind.CLAWBACK_RECEIVABLE) == 0
    assert_reconciled(campaign)
