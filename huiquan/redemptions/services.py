"""Redeeming a voucher at the till (R-USE-1..5; invariant 5). Returns are in ``returns``.

The transaction boundaries are the design (STYLE.md: never hold a transaction across an outside
call):

1. ``_reserve`` — one transaction: the voucher (locked) is unused and unexpired, the merchant may
   redeem, the consumer has no live redemption in the campaign (unique constraint), and the
   subsidy moves from the release's money to "reserved" by a conditional update (never below
   zero: ``POOL_EXHAUSTED`` otherwise). Commit.
2. The payment provider charges the consumer's share, with the redemption's idempotency key.
3. ``_apply_payment`` — one transaction: success marks the voucher used and books the subsidy as
   owed to the merchant; failure gives the reservation back. A timeout leaves the redemption
   pending; ``check_payment`` (or ``huiquan tick``) asks the provider later, and cancels the
   charge at the provider by its key before giving the sale up — never a guess. A success that
   still arrives for a failed sale is paid back automatically (``settle_payments``).

Each step that talks to something else, and what a slow answer, a failure or a crash right after
it leaves behind, is in docs/decisions.md ("Payments under faults"); ``faults.crash_point`` marks
where the crash tests kill the process.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from django.db import transaction

from huiquan.campaigns.models import Release
from huiquan.campaigns.selectors import funding_sources_memo, release_period_id
from huiquan.campaigns.services import pool_open_for_returns
from huiquan.core import clock, faults, guards, sql
from huiquan.core.locks import lock_one, locked
from huiquan.core.money import format_yuan
from huiquan.ledger.errors import InsufficientFunds
from huiquan.ledger.models import TxKind
from huiquan.ledger.scopes import (
    payable,
    release_pool,
    reserved,
)
from huiquan.ledger.services import (
    plan_transfer,
    post,
)
from huiquan.merchants.selectors import Till, legal_name, till_refusal
from huiquan.redemptions import payments, pricing, scanlock, settle_payments
from huiquan.redemptions import scan as scanning
from huiquan.redemptions.errors import (
    IdempotencyMismatch,
    PaymentCancelled,
    PaymentCodeInvalid,
    PaymentError,
    PoolExhausted,
    QuoteChanged,
    RedemptionCode,
    RedemptionError,
    RedemptionNotFound,
    VoucherExpired,
    VoucherUsed,
)
from huiquan.redemptions.idempotency import body_hash, clean_key
from huiquan.redemptions.models import (
    Redemption,
    RedemptionLine,
    RedemptionState,
)
from huiquan.redemptions.moves import move_by_source
from huiquan.redemptions.selectors import payment_outcome
from huiquan.redemptions.settlement_reads import SettledSale, net_by_source
from huiquan.vouchers import paycode
from huiquan.vouchers.models import Voucher
from huiquan.vouchers.services import mark_used

logger = logging.getLogger("huiquan.payments")


class _Replay(Exception):
    def __init__(self, redemption: Redemption):
        self.redemption = redemption


def _sale_hashes(payment_code: str, lines: Any) -> tuple[str, str]:
    """The request's fingerprint for the idempotency check, and the one stored before issue 16.

    A payment code changes every minute; the fingerprint names the voucher behind it (the code's
    handle), so a till that repeats a sale whose answer it lost, with the customer's newer code,
    gets that sale back instead of IDEMPOTENCY_MISMATCH. Other goods are still a mismatch."""
    parsed = paycode.parse(payment_code)
    legacy = body_hash(payment_code, lines)
    return (body_hash(f"voucher:{parsed[0]}", lines) if parsed else legacy), legacy


def redeem_voucher(*, actor: Any, payment_code: str, lines: list[dict[str, Any]],
                   idempotency_key: str | None = None,
                   quote_id: str | None = None) -> Redemption:
    """Redeem the voucher behind a scanned payment code for these goods (R-USE-1..4).

    Goods first, code last (issue 16): the till may first ask ``quote_for`` (no voucher is
    touched) and send its ``quote_id`` here with the code scanned last; the code is checked once,
    now, so it cannot lapse between quote and sale, and goods that no longer give that quote are
    refused with QUOTE_CHANGED (the new quote attached). Without ``quote_id`` (older clients) the
    sale is priced as sent.

    Returns the redemption (completed, or pending when the payment's outcome is not known yet);
    raises a coded error otherwise. The same idempotency key returns the same redemption."""
    key = clean_key(idempotency_key)
    scan = scanning.read(actor, key, payment_code)
    refusal = till_refusal(scan.till)
    if refusal is not None:
        raise refusal
    till = scan.till
    assert till is not None
    hashes = _sale_hashes(payment_code, lines)
    if scan.replay_id is not None:
        return _replayed(Redemption.objects.get(pk=scan.replay_id), hashes)
    if scan.locked:  # too many failed scans (issue 11): no code is even looked at
        raise scanlock.locked_error()
    voucher = scan.voucher
    if voucher is None:
        raise (scanlock.record_failure(actor=actor, merchant_id=till.pk,
                                       merchant_name=till.legal_name)
               or PaymentCodeInvalid(scanlock.INVALID_MESSAGE))
    quote = pricing.quote(campaign=till.campaign, merchant=till, lines=lines,
                          catalog_version=till.campaign.catalog_version)
    if quote_id and quote_id.strip() != quote.quote_id:
        raise _quote_changed(quote)
    _precheck(till, scan, quote)
    try:
        redemption = _reserve(actor=actor, voucher_id=voucher.pk, quote=quote, key=key,
                              digest=hashes[0])
    except _Replay as replay:
        return _replayed(replay.redemption, hashes)
    faults.crash_point("sale.reserved")
    try:
        result = payments.provider().charge(
            key=redemption.payment_key, amount_fen=redemption.consumer_pays_fen,
            description=f"{till.legal_name} 核销 #{redemption.pk}")
    except Exception:  # the rails did not answer: the outcome is unknown, ask later
        result = payments.PaymentResult("pending", message="支付通道无应答，请稍后查询结果")
    faults.crash_point("sale.charged")
    done = _finish(redemption.pk, result, till.legal_name)
    # What this sale wrote, for its answer (redemptions.selectors.view_after_sale): the lines
    # need no read back (issue 15).
    done.lines_written = redemption.lines_written
    return done


def _by_key(merchant_id: int, key: str) -> Redemption | None:
    return Redemption.objects.filter(merchant_id=merchant_id, idempotency_key=key).first()


def _voucher_refusal(voucher: Voucher, till: Till, now: datetime) -> RedemptionError | None:
    if voucher.campaign_id != till.campaign_id:
        return PaymentCodeInvalid("这张消费券不属于本活动")
    if voucher.used_at is not None:
        return VoucherUsed("这张消费券已经使用过（每人活动期间限用一张）")
    if now >= voucher.valid_until:
        return VoucherExpired("这张消费券已过有效期，不能使用")
    return None


def _redeemed_already() -> VoucherUsed:
    return VoucherUsed("该顾客在本次活动中已核销过消费券（每人限用一张，R-USE-3）")


def _pool_exhausted(quote: pricing.Quote) -> PoolExhausted:
    return PoolExhausted(f"本批次剩余补贴资金不足以支付本次补贴 {format_yuan(quote.subsidy_fen)} 元，"
                         "消费券暂不能使用（按批次资金兑付，先到先得）")


def _precheck(till: Till, scan: scanning.Scan, quote: pricing.Quote) -> None:
    """Answer what can be answered from a read, before queueing for the write lock: on a busy
    day most scans against an emptied release are refused here (bench/RESULTS.md). Only a
    refusal is decided here; ``_reserve`` checks everything again under the lock, and the
    conditional update of the pool stays the authority (invariant 5)."""
    assert scan.voucher is not None
    refusal = _voucher_refusal(scan.voucher, till, clock.now())
    if refusal is not None:
        raise refusal
    if scan.live:
        raise _redeemed_already()
    if scan.pool_fen < quote.subsidy_fen:
        raise _pool_exhausted(quote)


def _quote_changed(quote: pricing.Quote) -> QuoteChanged:
    return QuoteChanged(
        f"商品或价格与报价不一致（目录或活动规则可能刚刚更新）：新的报价为成交总价 "
        f"{format_yuan(quote.total_final_fen)} 元，补贴 {format_yuan(quote.subsidy_fen)} 元，"
        f"顾客应付 {format_yuan(quote.consumer_pays_fen)} 元。请与顾客确认后重新扫付款码",
        quote=quote)


def quote_for(*, actor: Any, lines: list[dict[str, Any]]) -> pricing.Quote:
    """Goods first (issue 16): the quote of these goods at this till — every line's brand,
    model, kind, grade, price and what counts, the subsidy and what the customer pays — with no
    payment code and no voucher touched. Only reads; refused like a sale for a till that may
    not sell (MERCHANT_NOT_APPROVED, MERCHANT_NOT_TRAINED …) or for goods that do not fit."""
    till = scanning.till_of(actor)
    refusal = till_refusal(till)
    if refusal is not None:
        raise refusal
    assert till is not None
    return pricing.quote(campaign=till.campaign, merchant=till, lines=lines,
                         catalog_version=till.campaign.catalog_version)


def look_up_goods(*, actor: Any, gtin: object) -> pricing.Goods:
    """A scanned goods barcode, judged for this till's shop (brand, model, kind, grade)."""
    till = scanning.till_of(actor)
    refusal = till_refusal(till)
    if refusal is not None:
        raise refusal
    assert till is not None
    return pricing.look_up(campaign=till.campaign, merchant=till, gtin=gtin,
                           catalog_version=till.campaign.catalog_version)


def _replayed(existing: Redemption, hashes: tuple[str, str]) -> Redemption:
    if existing.request_hash not in hashes:
        raise IdempotencyMismatch("同一个请求号对应了不同的核销内容：请刷新收银台后重新提交")
    if existing.state == RedemptionState.FAILED:
        raise _refusal(existing)
    return existing


def _refusal(redemption: Redemption) -> PaymentError:
    """What the till is told about a failed sale: the true outcome, money paid back included."""
    error = PaymentCancelled if redemption.failure_code == CANCELLED else PaymentError
    return error(f"{payment_outcome(redemption)}（核销 #{redemption.pk}）")


def _finish(redemption_id: int, result: payments.PaymentResult,
            merchant_name: str = "") -> Redemption:
    redemption = _settle(redemption_id, result, merchant_name)
    faults.crash_point("sale.applied")
    if redemption.state == RedemptionState.FAILED:
        raise _refusal(redemption)
    return redemption


def _settle(redemption_id: int, result: payments.PaymentResult,
            merchant_name: str = "") -> Redemption:
    """Apply the provider's answer; a success for a sale already failed is paid back."""
    redemption = _apply_payment(redemption_id=redemption_id, result=result,
                                merchant_name=merchant_name)
    if result.succeeded and redemption.state == RedemptionState.FAILED:
        settle_payments.send_auto_refund(redemption.pk)
    return redemption


def _recheck(again: Any, quote: pricing.Quote, now: datetime) -> None:
    """Under the voucher's lock: what ``_precheck`` read, read again in one statement
    (``scanning.recheck``; invariant 5)."""
    refusal = _voucher_refusal(again.voucher, again.till, now)
    if refusal is not None:
        raise refusal
    if again.live:
        raise _redeemed_already()
    # The pool read without locking its accounts: on PostgreSQL another till may take the money
    # before the ledger locks them, so only a refusal is decided from it; the ledger's locked
    # read and conditional update decide the grant (invariant 5).
    if guards.enabled() and again.pool_fen < quote.subsidy_fen:
        raise _pool_exhausted(quote)  # short: refuse before writing anything


def _replay_if_made(merchant_id: int, key: str) -> None:
    """Before a refusal under the lock: was the sale made by a twin of this request (the same
    Idempotency-Key, sent again while the first was still on its way)? Then that sale is the
    answer, not VOUCHER_USED (hostile input second round, F3). Read only on the refusal path, so
    a sale that goes through costs no extra query."""
    if key and (existing := _by_key(merchant_id, key)) is not None:
        raise _Replay(existing)


@transaction.atomic(durable=True)
def _reserve(*, actor: Any, voucher_id: int, quote: pricing.Quote, key: str,
             digest: str) -> Redemption:
    now = clock.now()
    # Everything that decides, read again inside the lock in one statement (the voucher's row
    # locked on PostgreSQL): suspended a moment ago means suspended (issue 15: it was five).
    again = scanning.recheck(actor, voucher_id)
    refusal = till_refusal(again.till if again is not None else None)
    if refusal is not None:
        raise refusal
    assert again is not None
    till, voucher = again.till, again.voucher
    try:
        _recheck(again, quote, now)
    except RedemptionError:
        _replay_if_made(till.pk, key)
        raise
    # The ledger needs the release's id and period only (scopes are named by the id).
    release = Release(pk=voucher.release_id, period_id=again.period_id)
    campaign = voucher.campaign_id  # the ledger takes ids: no need to load the campaign
    # The split by funding source, planned from balances read without locks (only a refusal is
    # decided from them): the pool's and reserved's rows — every till's hot rows — are locked
    # only by the balance updates that end this transaction (issue 15).
    try:
        lines = plan_transfer(campaign=campaign, source_scope=release_pool(release),
                              dest_scope=reserved(release), amount=quote.subsidy_fen,
                              sources=funding_sources_memo(campaign), lock=False)
    except InsufficientFunds as exc:
        raise _pool_exhausted(quote) from exc
    redemption = Redemption(
        campaign_id=campaign, release=release, voucher=voucher, consumer_id=voucher.consumer_id,
        merchant_id=till.pk, staff=actor, state=RedemptionState.PENDING,
        total_final_fen=quote.total_final_fen, eligible_final_fen=quote.eligible_final_fen,
        subsidy_fen=quote.subsidy_fen, consumer_pays_fen=quote.consumer_pays_fen,
        payment_key=f"pay-{secrets.token_hex(12)}", idempotency_key=key, request_hash=digest,
        created_at=now, subsidy_by_source={str(account.source_id): amount
                                           for account, amount in lines if amount > 0})
    # A clash with a unique constraint (a live redemption of this person or voucher, this
    # till's key) inserts nothing: no savepoint needed to look at why (issue 15).
    if not sql.insert_unless_taken(redemption):
        if key:
            existing = _by_key(till.pk, key)
            if existing is not None:
                raise _Replay(existing)
        raise VoucherUsed("该顾客的消费券正在另一台收银机核销或已核销")
    redemption.lines_written = [
        RedemptionLine(redemption=redemption, position=line.position, kind=line.kind,
                       product=line.product, gtin=line.gtin, description=line.description,
                       quantity=line.quantity, unit_price_fen=line.unit_price_fen,
                       discount_fen=line.discount_fen, final_fen=line.final_fen,
                       eligible=line.eligible)
        for line in quote.lines]
    sql.insert(redemption.lines_written)
    try:  # last: the pool's conditional update decides (invariant 5), then COMMIT
        post(campaign=campaign, kind=TxKind.RESERVE, lines=lines, release=release,
             period=release.period_id, dedupe_key=f"reserve:{redemption.pk}",
             reference=f"redemption:{redemption.pk}", memo=f"核销 #{redemption.pk} 预占补贴",
             lock_late=True)
    except InsufficientFunds as exc:
        raise _pool_exhausted(quote) from exc
    return redemption


@transaction.atomic(durable=True)
def _apply_payment(*, redemption_id: int, result: payments.PaymentResult,
                   merchant_name: str = "") -> Redemption:
    rows = sql.load(Redemption, "id = %s", [redemption_id], lock=True)
    if not rows:
        raise RedemptionNotFound("找不到这笔核销记录")
    redemption = rows[0]
    if redemption.state == RedemptionState.FAILED and result.succeeded:
        # The money came after the sale was given up: it is owed back (sent after commit).
        settle_payments.record_auto_refund(redemption=redemption,
                                           amount_fen=redemption.consumer_pays_fen,
                                           charge_reference=result.reference)
        return redemption
    if redemption.state != RedemptionState.PENDING or result.state == "pending":
        return redemption
    campaign = redemption.campaign_id
    now = clock.now()
    ref = f"redemption:{redemption.pk}"
    if result.succeeded:
        # A release's period never changes: remembered per process (issue 15).
        release = Release(pk=redemption.release_id,
                          period_id=release_period_id(redemption.release_id))
        if not mark_used(voucher_id=redemption.voucher_id, now=now):
            raise VoucherUsed("这张消费券已经使用过")  # pragma: no cover - constraint prevents
        shop = merchant_name or legal_name(redemption.merchant_id)
        redemption.state, redemption.completed_at = RedemptionState.COMPLETED, now
        redemption.payment_reference = result.reference[:64]
        sql.update(redemption, ["state", "completed_at", "payment_reference"])
        # Last, the hot rows (reserved, the shop's payable): locked by their updates only.
        post(campaign=campaign, kind=TxKind.REDEEM, release=release, period=release.period_id,
             dedupe_key=f"redeem:{redemption.pk}", reference=ref,
             memo=f"核销 #{redemption.pk}：补贴计入应付{shop}", lock_late=True,
             lines=move_by_source(campaign=campaign, split=redemption.subsidy_by_source,
                                  source_scope=reserved(release),
                                  dest_scope=payable(redemption.merchant_id), lock=False))
        return redemption
    # Money goes back to the pool open for new releases: the release row is locked so that it
    # cannot return its balance meanwhile, the period row(s) so that carry-over cannot run
    # (R-SCHED-6: an expired release or a carried-over period never holds money again).
    release = lock_one(Release, redemption.release_id, no_key=True)
    post(campaign=campaign, kind=TxKind.RESERVE_RELEASE, release=release,
         period=release.period, dedupe_key=f"unreserve:{redemption.pk}", reference=ref,
         memo=f"核销 #{redemption.pk} 支付失败，释放预占", locked=True,
         lines=move_by_source(campaign=campaign, split=redemption.subsidy_by_source,
                              source_scope=reserved(release),
                              dest_scope=pool_open_for_returns(release)))
    redemption.state = RedemptionState.FAILED
    redemption.failure_code = (result.failure_code or "PAYMENT_FAILED")[:32]
    redemption.failure_message = (result.message or "支付未成功")[:255]
    sql.update(redemption, ["state", "failure_code", "failure_message"])
    return redemption


CANCELLED = "PAYMENT_CANCELLED"


def check_payment(*, redemption: Redemption, lost_after_seconds: int = 120) -> Redemption:
    """Ask the provider how a pending payment ended and finish the redemption. A charge still
    unanswered (or unknown to the provider) ``lost_after_seconds`` after the reservation is
    cancelled at the provider by its key first: the sale fails only on the provider's word that
    no money was taken ("cancelled"); "too late, it succeeded" completes it. No answer from the
    provider leaves the sale pending for the next try."""
    if redemption.state != RedemptionState.PENDING:
        return redemption
    provider = payments.provider()
    try:
        result = provider.status(key=redemption.payment_key)
        if result is None or result.state == "pending":
            age = (clock.now() - redemption.created_at).total_seconds()
            if age < lost_after_seconds:
                return redemption
            result = provider.cancel(key=redemption.payment_key)
    except Exception:  # the rails did not answer: ask again later
        logger.warning("sale %s: no answer from the payment provider", redemption.pk,
                       exc_info=True)
        return redemption
    faults.crash_point("payment.answered")
    if result.state == "cancelled":
        result = payments.PaymentResult("cancelled", result.reference, CANCELLED,
                                        result.message or "支付超时，已在支付通道撤销")
    return _settle(redemption.pk, result)


def resolve_pending() -> int:
    """For ``huiquan tick``: finish pending redemptions (asking the provider, cancelling the
    long-unanswered ones), pay back successes that came late, send refunds left pending or
    failed again. Each sale and refund on its own: one that fails is logged, the rest go on."""
    done = 0
    for redemption in Redemption.objects.filter(state=RedemptionState.PENDING).order_by("pk"):
        try:
            if check_payment(redemption=redemption).state != RedemptionState.PENDING:
                done += 1
        except Exception:
            logger.exception("tick: finishing sale %s failed", redemption.pk)
    return done + settle_payments.settle_refunds()


def seal_redemptions(*, batch: int = 5000) -> int:
    """Invariant 9: finished redemptions are sealed into the audit chain in batches."""
    from huiquan.audit.services import seal_rows

    return seal_rows(Redemption.objects.exclude(state=RedemptionState.PENDING),
                     fields=("pk", "consumer_id", "merchant_id", "voucher_id", "state",
                             "total_final_fen", "subsidy_fen", "created_at"),
                     action="redemptions.seal", obj_type="redemption", label="笔核销记录",
                     batch=batch)


# --- settlement (called by huiquan.settlement, the layer above) ---------------------------------


def mark_settled(*, redemption_ids: list[int], now: datetime) -> list[SettledSale]:
    """Invariant 6: the sales settle now, each at most once, inside the caller's transaction.

    Locks the rows (primary-key order), sets ``settled_at`` by a conditional update (only where
    still unsettled and completed) and refuses the whole batch (``ALREADY_SETTLED``, nothing
    kept) when any was settled meanwhile. Returns what each sale's subsidy comes to now and its
    funding sources (the till's split, less returns before settlement): read under the same
    lock, so a return cannot slip in between. With the guards off (race tests) neither the lock
    nor the condition is there."""
    ids = sorted(set(redemption_ids))
    if not ids:
        return []
    guarded = guards.enabled()
    if guarded:
        locked(Redemption.objects.filter(pk__in=ids).only("pk"), no_key=True)
    rows = Redemption.objects.filter(pk__in=ids, state=RedemptionState.COMPLETED)
    if guarded:
        rows = rows.filter(settled_at__isnull=True)
    if rows.update(settled_at=now) != len(ids):
        raise RedemptionError("有核销已经结算过（或不是已完成的核销），本次结算未做任何更改",
                              code=RedemptionCode.ALREADY_SETTLED, status=409)
    return net_by_source(ids)


def unmark_settled(*, redemption_ids: list[int]) -> None:
    """A settlement run cancelled before its bank file: its sales are unsettled again, inside
    the caller's transaction. Refused (nothing kept) when any of them was returned since with a
    subsidy to claw back — that money is owed by the merchant now, not part of the run."""
    ids = sorted(set(redemption_ids))
    if not ids:
        return
    locked(Redemption.objects.filter(pk__in=ids).only("pk"), no_key=True)
    if Redemption.objects.filter(pk__in=ids, settled_at__isnull=False, clawback_fen=0).update(
            settled_at=None) != len(ids):
        raise RedemptionError("本批次有核销在结算后发生了退货（已追缴），不能撤销；"
                              "请审核并拨付，追缴在下次结算中抵扣",
                              code=RedemptionCode.ALREADY_SETTLED, status=409)
