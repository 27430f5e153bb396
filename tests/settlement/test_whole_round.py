"""A whole round through the real services, no state set by hand (issue 14, "Done when" 1):
sales at the till → submissions with real generated documents (some good; one each with a wrong
buyer name, a wrong amount, a reused invoice number, a wrong barcode photo) → the automatic
checks flag exactly the bad ones (R-DOC-1..2) → review, four-eyes above the campaign's amount
(R-DOC-2) → settlement run, approved by a second finance officer, bank file, the bank's answer
(R-SET-1..3) → reconcile green (invariants 3, 6). Then a return after settlement books a
clawback (R-RET-2) that the next round's run nets, to the fen.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db.models import Sum

from huiquan.core.money import format_yuan, parse_yuan
from huiquan.ledger.models import AccountKind, Posting, TxKind
from huiquan.ledger.selectors import party_balance
from huiquan.redemptions.models import Redemption
from huiquan.redemptions.returns import return_goods
from huiquan.settlement import bankfiles, services
from huiquan.settlement.models import (
    BankFile,
    PayoutState,
    Receivable,
    RecoveryKind,
    RunState,
    SettlementLine,
)
from huiquan.verification import services as review
from huiquan.verification.models import SubmissionState
from huiquan.verification.tasks import check_submission
from tests.conftest import INSIDE_LINFEN
from tests.merchant_fixtures import aircon, error_code, redeem_at
from tests.settlement.support import answer, assert_reconciled
from tests.verification.conftest import Sale
from tests.verification.conftest import _documents_in_tmp as _documents_in_tmp  # autouse
from tests.verification.factories import GOOD_INVOICE, label_photo
from tests.verification.helpers import outcomes, sent

pytestmark = pytest.mark.django_db

OTHER_AIRCON = "6900000000021"  # another GTIN on the sample register: not the one sold


def _failing(submission: Any) -> set[str]:
    return {rule for rule, outcome in outcomes(submission).items() if outcome == "fail"}


def _bank_rows(bank_file: BankFile) -> tuple[dict[str, int], int, int]:
    """The CSV the bank receives, read back: amount per USCC, the sum of the lines, the total
    row."""
    from openpyxl import load_workbook

    text = bankfiles.as_csv(bank_file).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    sheet = load_workbook(io.BytesIO(bankfiles.as_xlsx(bank_file))).active
    assert sheet is not None
    assert [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)] == rows
    assert rows[0] == bankfiles.HEADERS and rows[-1][0] == bankfiles.CHECKSUM_LABEL
    per_uscc = {row[4]: parse_yuan(row[8]) for row in rows[1:-1]}
    return per_uscc, sum(per_uscc.values()), parse_yuan(rows[-1][8])


def _pay(run: Any, creator: Any, approver: Any) -> BankFile:
    """Finance: a second officer approves, the bank file goes out, the bank's answer comes back
    with every line paid."""
    assert error_code(lambda: services.approve_run(run=run, actor=creator)) \
        == "SETTLEMENT_SAME_USER"
    services.approve_run(run=run, actor=approver)
    bank_file = bankfiles.export_run(run=run, actor=approver)
    result = bankfiles.import_answer(run=run, name="answer.csv", data=answer(bank_file),
                                     actor=approver)
    assert result.failed == 0
    run.refresh_from_db()
    assert run.state == RunState.PAID
    return bank_file


def _redeem(shop: Any, voucher: Any, holder: Any, price_fen: int) -> Sale:
    sale = redeem_at(shop, voucher, [aircon(price_fen)])
    sale.refresh_from_db()
    return Sale(shop, shop.till_user, sale, holder)


def test_a_whole_round_then_a_clawback_netted_in_the_next_round(  # type: ignore[no-untyped-def]
        campaign, two_shops, holder, make_consumer, reviewer, make_user, finance, finance2,
        bureau, clock):
    a, b = two_shops
    second_reviewer = make_user("reviewer", "reviewer-2")

    # --- 1. sales at the till (release 1, 2024-06-21) -------------------------------------
    def sell(shop: Any, price_fen: int) -> Sale:
        person = holder()
        return _redeem(shop, person.voucher, person, price_fen)

    good_a, big_a, amount_a, name_a = (sell(a, 500_000), sell(a, 1_500_000), sell(a, 300_000),
                                       sell(a, 420_000))
    good_b, reused_b, barcode_b = sell(b, 800_000), sell(b, 650_000), sell(b, 390_000)

    # --- 2. submissions with real documents, checked as the worker does --------------------
    sub = {
        "good_a": sent(good_a, seed=1),
        "big_a": sent(big_a, seed=2),
        "amount_a": sent(amount_a, seed=3, invoice_amount="2999.00", payment_amount="2999.00"),
        "name_a": sent(name_a, seed=4, invoice_buyer_name="李四"),
        "good_b": sent(good_b, seed=5),
        # the invoice number already used by good_a's submission (its own photo shows it too)
        "reused_b": sent(reused_b, seed=6, invoice_number=GOOD_INVOICE[:-3] + "001"),
        "barcode_b": sent(barcode_b, seed=7,
                          uploads={"energy_label": label_photo(OTHER_AIRCON, 77)}),
    }

    # --- 3. the checks flag exactly the bad ones -------------------------------------------
    flagged = {name: _failing(s) for name, s in sub.items()}
    assert flagged == {
        "good_a": set(), "big_a": set(), "good_b": set(),
        "amount_a": {"invoice_amount"},
        "name_a": {"buyer_name"},
        "reused_b": {"invoice_unique"},
        "barcode_b": {"label_barcode"},
    }, {name: outcomes(s) for name, s in sub.items()}
    for name in ("good_a", "big_a", "good_b"):
        result = outcomes(sub[name])
        assert len(result) == 11 and set(result.values()) == {"pass"}, (name, result)
    # The invoice's QR code carries the real amount: a typed amount that differs asks a person.
    assert outcomes(sub["amount_a"])["invoice_qr"] == "review"
    assert outcomes(sub["barcode_b"])["gtin_register"] == "pass"  # typed right, photo wrong
    assert all(s.state == SubmissionState.IN_REVIEW for s in sub.values())

    # --- 4. review ---------------------------------------------------------------------------
    for name in ("amount_a", "name_a", "reused_b", "barcode_b"):
        assert error_code(lambda name=name: review.approve_submission(
            actor=reviewer, submission_id=sub[name].pk)) == "CHECKS_NOT_PASSED"
    review.reject_submission(actor=reviewer, submission_id=sub["name_a"].pk,
                             reason="发票购买方不是用券消费者")
    review.reject_submission(actor=reviewer, submission_id=sub["reused_b"].pk,
                             reason="发票已在其他核销中使用")
    review.reject_submission(actor=reviewer, submission_id=sub["barcode_b"].pk,
                             reason="能效标识条码与销售商品不符")
    # The wrong amount goes back to the merchant, who corrects it; version 2 is checked clean.
    review.ask_correction(actor=reviewer, submission_id=sub["amount_a"].pk,
                          reason="发票金额与成交价不符，请核对")
    # The form posts every fact again (an empty one clears it), the two amounts now right.
    was = sub["amount_a"]
    right = format_yuan(amount_a.redemption.total_final_fen).replace(",", "")
    review.save_facts(actor=a.till_user, submission_id=was.pk, raw={
        "phone": was.phone, "invoice_number": was.invoice_number,
        "invoice_date": was.invoice_date.isoformat(), "invoice_buyer_name": was.invoice_buyer_name,
        "energy_label_gtin": was.energy_label_gtin,
        "invoice_amount": right, "payment_amount": right})
    again = review.send_submission(actor=a.till_user, submission_id=sub["amount_a"].pk)
    assert again.version == 2
    check_submission.call(submission_id=again.pk, version=2)
    again.refresh_from_db()
    assert again.state == SubmissionState.IN_REVIEW
    assert set(outcomes(again).values()) == {"pass"}, outcomes(again)
    sub["amount_a"] = again

    for name in ("good_a", "amount_a", "good_b"):
        assert review.approve_submission(actor=reviewer, submission_id=sub[name].pk).state \
            == SubmissionState.APPROVED
    # Four-eyes: 1,500 yuan of subsidy is above the campaign file's 1,000.
    assert big_a.redemption.subsidy_fen > 100_000
    assert review.approve_submission(actor=reviewer, submission_id=sub["big_a"].pk).state \
        == SubmissionState.SECOND_REVIEW
    assert error_code(lambda: review.approve_submission(
        actor=reviewer, submission_id=sub["big_a"].pk)) == "SECOND_REVIEWER_REQUIRED"
    assert review.approve_submission(actor=second_reviewer, submission_id=sub["big_a"].pk) \
        .state == SubmissionState.APPROVED

    approved = {"a": [good_a, big_a, amount_a], "b": [good_b]}
    rejected = [name_a, reused_b, barcode_b]
    expected = {shop.uscc: sum(s.redemption.subsidy_fen for s in approved[key])
                for key, shop in (("a", a), ("b", b))}

    # --- 5. settlement after the round (release 1 expired Wednesday 06-26 22:00) -----------
    clock.set("2024-06-27T09:00:00+08:00")
    run = services.run_settlement(campaign=campaign, actor=finance)
    assert (run.merchant_count, run.sale_count) == (2, 4)
    assert run.gross_fen == run.payout_fen == sum(expected.values()) and run.netted_fen == 0
    bank_file = _pay(run, finance, finance2)
    per_uscc, lines_fen, total_fen = _bank_rows(bank_file)
    assert per_uscc == expected
    assert lines_fen == total_fen == bank_file.total_fen == sum(expected.values())
    paid_out = Posting.objects.filter(account__kind=AccountKind.PAID_OUT,
                                      transaction__kind=TxKind.PAYOUT).aggregate(s=Sum("amount_fen"))
    assert paid_out["s"] == sum(expected.values())
    for sale in [s for group in approved.values() for s in group]:
        sale.redemption.refresh_from_db()
        assert sale.redemption.settled_at is not None
        line = SettlementLine.objects.get(redemption=sale.redemption)
        assert line.run_id == run.pk and line.amount_fen == sale.redemption.subsidy_fen
        assert line.by_source == sale.redemption.subsidy_by_source  # as booked at the till
    for sale in rejected:
        sale.redemption.refresh_from_db()
        assert sale.redemption.settled_at is None
    assert error_code(lambda: services.run_settlement(campaign=campaign, actor=finance)) \
        == "SETTLEMENT_EMPTY"  # nothing is paid twice; the rejected are never paid
    assert_reconciled(campaign)

    # --- 6. a return after settlement: a receivable ------------------------------------------
    clock.set("2024-06-27T15:00:00+08:00")
    returned = good_a.redemption
    return_goods(actor=a.till_user, redemption_id=returned.pk, items=None, reason="质量问题")
    assert party_balance(campaign, AccountKind.CLAWBACK_RECEIVABLE) == returned.subsidy_fen
    assert_reconciled(campaign)

    # --- 7. the next round: release 2, a sale at the same shop, approved -------------------
    from huiquan.campaigns.services import confirm_release
    from huiquan.vouchers.services import claim_voucher

    release_2 = returned.release.period.releases.get(number=2)
    clock.set("2024-06-28T09:00:00+08:00")
    confirm_release(release=release_2, amount_fen=10 * 2_000_00, reason="第二周", actor=bureau)
    clock.set("2024-06-28T10:00:00+08:00")
    person = make_consumer()
    voucher = claim_voucher(consumer=person.consumer, release_id=release_2.pk, **INSIDE_LINFEN)
    later = _redeem(a, voucher, person, 800_000)
    assert later.redemption.release_id == release_2.pk
    later_sub = sent(later, seed=8)
    assert _failing(later_sub) == set()
    review.approve_submission(actor=reviewer, submission_id=later_sub.pk)

    # --- 8. the next run nets the clawback, to the fen ---------------------------------------
    clock.set("2024-07-04T09:00:00+08:00")
    run2 = services.run_settlement(campaign=campaign, actor=finance2)
    payout = run2.payouts.get()
    assert payout.merchant_id == a.pk and payout.sale_count == 1
    assert payout.gross_fen == later.redemption.subsidy_fen == 80_000
    assert payout.netted_fen == returned.subsidy_fen == 50_000
    assert payout.amount_fen == 30_000
    assert (run2.gross_fen, run2.netted_fen, run2.payout_fen) == (80_000, 50_000, 30_000)
    bank_file2 = _pay(run2, finance2, finance)
    assert _bank_rows(bank_file2) == ({a.uscc: 30_000}, 30_000, 30_000)
    assert run2.payouts.get().state == PayoutState.PAID
    receivable = Receivable.objects.get()
    assert receivable.merchant_id == a.pk and receivable.open_fen == 0
    assert receivable.recoveries.get().kind == RecoveryKind.NETTED
    assert party_balance(campaign, AccountKind.CLAWBACK_RECEIVABLE) == 0
    assert Redemption.objects.filter(pk=later.redemption.pk, settled_at__isnull=False).exists()
    # Over both runs: the ledger paid out every approved sale's subsidy once; the bank was sent
    # that less the clawback netted.
    paid_out = Posting.objects.filter(account__kind=AccountKind.PAID_OUT,
                                      transaction__kind=TxKind.PAYOUT).aggregate(s=Sum("amount_fen"))
    assert paid_out["s"] == sum(expected.values()) + 80_000
    assert bank_file.total_fen + bank_file2.total_fen == sum(expected.values()) + 80_000 - 50_000
    assert_reconciled(campaign)


def test_a_rejected_copy_does_not_block_the_honest_submission_it_copied(  # type: ignore[no-untyped-def]
        two_shops, holder, reviewer):
    """Another shop's submission reuses an honest one's invoice number and goods photo; the
    checks flag the copy, the reviewer rejects it. When the honest one is sent again (a
    correction), the rejected copy — never paid — asks a person to look instead of failing the
    original for good (a failing check blocks approval)."""
    from tests.verification.factories import photo

    a, b = two_shops
    honest, copy = (_redeem(shop, person.voucher, person, 500_000)
                    for shop, person in ((a, holder()), (b, holder())))
    original = sent(honest, seed=1)
    assert _failing(original) == set()
    copied = sent(copy, seed=2, invoice_number=GOOD_INVOICE[:-3] + "001",
                  uploads={"goods_photo": photo(104)})  # the honest one's goods photo
    assert _failing(copied) == {"invoice_unique", "photo_unique"}, outcomes(copied)
    review.reject_submission(actor=reviewer, submission_id=copied.pk, reason="发票和照片是别家的")

    review.ask_correction(actor=reviewer, submission_id=original.pk, reason="付款凭证请重拍")
    review.add_document(actor=a.till_user, submission_id=original.pk, kind="payment_proof",
                        name="pay.jpg", data=photo(177))
    review.send_submission(actor=a.till_user, submission_id=original.pk)
    check_submission.call(submission_id=original.pk, version=2)
    original.refresh_from_db()
    result = outcomes(original)
    assert _failing(original) == set(), result
    assert (result["invoice_unique"], result["photo_unique"]) == ("review", "review"), result
    assert review.approve_submission(actor=reviewer, submission_id=original.pk).state \
        == SubmissionState.APPROVED
