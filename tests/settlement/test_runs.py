"""Settlement runs pay each approved sale exactly once (R-SET-1..3, invariant 6)."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from huiquan.ledger.models import AccountKind, Posting, TxKind
from huiquan.redemptions.models import Redemption
from huiquan.settlement import bankfiles, services
from huiquan.settlement.models import (
    PayoutState,
    RunState,
    SettlementLine,
)
from tests.merchant_fixtures import error_code
from tests.settlement.support import answer, assert_reconciled, settle_fully

pytestmark = pytest.mark.django_db


def test_a_run_pays_each_approved_sale_once_traceably_to_its_sources(  # type: ignore[no-untyped-def]
        campaign, two_shops, approved_sale, finance, finance2):
    a, b = two_shops
    sales = [approved_sale(a), approved_sale(a, 300_000), approved_sale(b)]
    waiting = approved_sale(b, approve=False)  # not approved: not paid
    run = settle_fully(campaign, finance, finance2)
    assert run.state == RunState.PAID
    assert run.sale_count == 3 and run.merchant_count == 2
    assert run.gross_fen == sum(s.subsidy_fen for s in sales) == run.payout_fen
    for sale in sales:
        sale.refresh_from_db()
        assert sale.settled_at is not None
        line = SettlementLine.objects.get(redemption=sale)
        assert line.by_source == sale.subsidy_by_source  # the till's split (R-SET-3)
    waiting.refresh_from_db()
    assert waiting.settled_at is None
    paid = Posting.objects.filter(account__kind=AccountKind.PAID_OUT,
                                  transaction__kind=TxKind.PAYOUT).aggregate(s=Sum("amount_fen"))
    assert paid["s"] == run.gross_fen
    assert_reconciled(campaign)
    # Running again pays nothing twice.
    assert error_code(lambda: services.run_settlement(campaign=campaign, actor=finance)) \
        == "SETTLEMENT_EMPTY"


def test_the_one_who_collected_a_run_cannot_approve_it(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2):
    approved_sale(shop)
    run = services.run_settlement(campaign=campaign, actor=finance)
    assert error_code(lambda: services.approve_run(run=run, actor=finance)) \
        == "SETTLEMENT_SAME_USER"
    services.approve_run(run=run, actor=finance2)
    assert error_code(lambda: services.approve_run(run=run, actor=finance2)) == "SETTLEMENT_STATE"


def test_a_second_run_while_one_is_open_is_refused(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2):
    approved_sale(shop)
    services.run_settlement(campaign=campaign, actor=finance)
    approved_sale(shop)
    assert error_code(lambda: services.run_settlement(campaign=campaign, actor=finance2)) \
        == "SETTLEMENT_RUNNING"


def test_a_frozen_merchants_sales_wait_until_it_is_reinstated(  # type: ignore[no-untyped-def]
        campaign, two_shops, approved_sale, finance, finance2, reviewer, bureau):
    from huiquan.merchants.services import reinstate_merchant, suspend_merchant

    a, b = two_shops
    frozen_sale = approved_sale(a)
    approved_sale(b)
    suspend_merchant(merchant=a, actor=reviewer, reason="核查中")
    run = settle_fully(campaign, finance, finance2)
    assert run.merchant_count == 1
    frozen_sale.refresh_from_db()
    assert frozen_sale.settled_at is None
    a.refresh_from_db()
    reinstate_merchant(merchant=a, actor=bureau, reason="核查无问题")
    second = settle_fully(campaign, finance, finance2)
    assert second.sale_count == 1
    assert_reconciled(campaign)


def test_a_failed_payout_is_sent_again_and_paid_once(  # type: ignore[no-untyped-def]
        campaign, two_shops, approved_sale, finance, finance2):
    a, b = two_shops
    approved_sale(a)
    approved_sale(b)
    run = services.run_settlement(campaign=campaign, actor=finance)
    services.approve_run(run=run, actor=finance2)
    first = bankfiles.export_run(run=run, actor=finance)
    bad = run.payouts.get(merchant=b)
    result = bankfiles.import_answer(run=run, name="a.csv", actor=finance,
                                     data=answer(first, failed=frozenset({bad.pk})))
    assert (result.paid, result.failed) == (1, 1)
    run.refresh_from_db()
    assert run.state == RunState.EXPORTED
    again = bankfiles.export_run(run=run, actor=finance)
    assert again.payout_ids == [bad.pk] and again.number == 2
    bankfiles.import_answer(run=run, name="b.csv", actor=finance, data=answer(again))
    run.refresh_from_db()
    assert run.state == RunState.PAID
    assert set(run.payouts.values_list("state", flat=True)) == {PayoutState.PAID}
    assert_reconciled(campaign)


def test_the_same_answer_twice_records_nothing_twice_and_paid_then_failed_is_refused(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2):
    approved_sale(shop)
    run = services.run_settlement(campaign=campaign, actor=finance)
    services.approve_run(run=run, actor=finance2)
    bank_file = bankfiles.export_run(run=run, actor=finance)
    bankfiles.import_answer(run=run, name="a.csv", data=answer(bank_file), actor=finance)
    again = bankfiles.import_answer(run=run, name="a.csv", data=answer(bank_file), actor=finance)
    assert (again.paid, again.unchanged) == (0, 1)
    payout = run.payouts.get()
    assert error_code(lambda: bankfiles.import_answer(
        run=run, name="a.csv", actor=finance,
        data=answer(bank_file, failed=frozenset({payout.pk})))) == "PAYOUT_ALREADY_PAID"
    payout.refresh_from_db()
    assert payout.state == PayoutState.PAID


@pytest.mark.parametrize("edit, says", [
    (lambda rows: rows[1].__setitem__(8, "9999.00"), "金额"),
    (lambda rows: rows.insert(2, list(rows[1])), "重复"),
    (lambda rows: rows.insert(2, ["424242", *rows[1][1:]]), "不在所发文件中"),
    (lambda rows: rows.pop(1), "少了"),
    (lambda rows: rows[-1].__setitem__(3, "0" * 64), "校验码"),
    (lambda rows: rows[1].__setitem__(7, "6217000099999999"), "结算账号"),
    (lambda rows: rows.pop(), "校验码"),
])
def test_a_bank_answer_edited_by_hand_is_refused_with_what_is_wrong(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2, edit, says):
    approved_sale(shop)
    run = services.run_settlement(campaign=campaign, actor=finance)
    services.approve_run(run=run, actor=finance2)
    bank_file = bankfiles.export_run(run=run, actor=finance)
    from huiquan.core.errors import DomainError

    with pytest.raises(DomainError) as info:
        bankfiles.import_answer(run=run, name="a.csv", data=answer(bank_file, edit=edit),
                                actor=finance)
    assert info.value.code == "BANK_FILE_INVALID" and says in info.value.message
    assert run.payouts.get().state == PayoutState.SENT  # nothing recorded


def test_the_xlsx_file_has_the_same_rows_as_the_csv(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2):
    import io

    from openpyxl import load_workbook

    sale = approved_sale(shop)
    run = services.run_settlement(campaign=campaign, actor=finance)
    services.approve_run(run=run, actor=finance2)
    bank_file = bankfiles.export_run(run=run, actor=finance)
    sheet = load_workbook(io.BytesIO(bankfiles.as_xlsx(bank_file))).active
    got = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert got == bankfiles.rows(bank_file)
    assert got[1][4] == shop.uscc and got[1][7] == shop.bank_account
    from huiquan.core.money import format_yuan

    assert got[1][8] == format_yuan(sale.subsidy_fen).replace(",", "")
    assert got[1][9] == "1" and got[1][1] == str(run.pk)


def test_a_sale_returned_before_settlement_is_settled_net(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2):
    from huiquan.redemptions.returns import return_goods

    sale = approved_sale(shop)
    return_goods(actor=shop.till_user, redemption_id=sale.pk, items=None, reason="不要了")
    other = approved_sale(shop)
    run = settle_fully(campaign, finance, finance2)
    assert run.gross_fen == other.subsidy_fen
    assert Redemption.objects.filter(settled_at__isnull=False).count() == 2
    assert_reconciled(campaign)


def test_a_run_cancelled_before_its_bank_file_is_collected_again_by_the_next(  # type: ignore[no-untyped-def]
        campaign, two_shops, approved_sale, finance, finance2):
    a, b = two_shops
    sales = [approved_sale(a), approved_sale(b)]
    run = services.run_settlement(campaign=campaign, actor=finance)
    assert error_code(lambda: services.cancel_run(run=run, actor=finance, reason=" ")) \
        == "SETTLEMENT_STATE"
    services.cancel_run(run=run, actor=finance, reason="商户账号有误")
    run.refresh_from_db()
    assert run.state == RunState.CANCELLED
    assert not Redemption.objects.filter(settled_at__isnull=False).exists()
    assert_reconciled(campaign)
    again = settle_fully(campaign, finance, finance2)
    assert again.number == 2 and again.sale_count == len(sales)
    assert_reconciled(campaign)
    assert error_code(lambda: services.cancel_run(run=again, actor=finance, reason="x")) \
        == "SETTLEMENT_STATE"


def test_a_run_whose_sale_was_returned_since_cannot_be_cancelled(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance):
    from huiquan.redemptions.returns import return_goods

    sale = approved_sale(shop)
    run = services.run_settlement(campaign=campaign, actor=finance)
    return_goods(actor=shop.till_user, redemption_id=sale.pk, items=None, reason="退货")
    assert error_code(lambda: services.cancel_run(run=run, actor=finance, reason="x")) \
        == "ALREADY_SETTLED"
    run.refresh_from_db()
    assert run.state == RunState.COLLECTED
    assert_reconciled(campaign)
