"""Returns of goods after a sale (R-RET-1..2, R-USE-5; invariant 5).

``_record_return`` — one transaction: the sale's row is locked, the subsidy is recomputed on what
the consumer keeps and the difference goes back to the pool (before settlement) or becomes a
clawback receivable from the merchant (after it). The refund to the consumer is sent after the
commit (``settle_payments.refund_return``); ``faults.crash_point`` marks where the crash tests
kill the process in between.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from huiquan.audit.services import record
from huiquan.campaigns.errors import CampaignCode
from huiquan.campaigns.models import Release
from huiquan.campaigns.services import pool_open_for_returns
from huiquan.core import clock, faults
from huiquan.core.locks import lock_one, locked
from huiquan.core.money import format_yuan
from huiquan.ledger.models import TxKind
from huiquan.ledger.scopes import clawback_receivable, paid_out, payable
from huiquan.ledger.services import post
from huiquan.merchants.selectors import merchant_of
from huiquan.redemptions import pricing, settle_payments
from huiquan.redemptions.errors import (
    IdempotencyMismatch,
    RedemptionCode,
    RedemptionError,
    RedemptionNotFound,
    ReturnTooLarge,
)
from huiquan.redemptions.idempotency import body_hash, clean_key
from huiquan.redemptions.models import GoodsReturn, Redemption, RedemptionLine, RedemptionState
from huiquan.redemptions.moves import move_by_source, sources


def _final_of(line: RedemptionLine, quantity: int) -> int:
    """The final price of ``quantity`` units of a line, so that all units sum to the line."""
    return line.final_fen * quantity // line.quantity


def _split_back(redemption: Redemption, amount: int) -> dict[str, int]:
    """Which funding sources a subsidy coming back belongs to: this redemption's own split, less
    what earlier returns gave back, taken in funding order."""
    left = dict(redemption.subsidy_by_source)
    for earlier in redemption.returns.all():
        for sid, fen in earlier.by_source.items():
            left[sid] = left.get(sid, 0) - fen
    out: dict[str, int] = {}
    for sid in sources(redemption.campaign):
        take = min(amount, max(left.get(sid, 0), 0))
        if take:
            out[sid] = take
            amount -= take
    if amount:
        raise RedemptionError("退回金额超过本笔补贴", code=RedemptionCode.RETURN_INVALID)  # pragma: no cover
    return out


def return_goods(*, actor: Any, redemption_id: int, items: list[dict[str, Any]] | None,
                 reason: str, idempotency_key: str | None = None) -> GoodsReturn:
    """R-RET-1..2, R-USE-5: record a full (``items=None``) or partial return.

    The subsidy is recomputed on what the consumer keeps; the difference goes back to the pool
    before settlement, or becomes a clawback receivable from the merchant after it. The refund
    to the consumer is the returned goods' price less that subsidy. The voucher stays used."""
    goods_return = _record_return(actor=actor, redemption_id=redemption_id, items=items,
                                  reason=reason, key=clean_key(idempotency_key))
    faults.crash_point("return.recorded")
    if goods_return.refund_state == "pending":
        settle_payments.refund_return(goods_return)
        goods_return.refresh_from_db()
    return goods_return


@transaction.atomic(durable=True)
def _record_return(*, actor: Any, redemption_id: int, items: list[dict[str, Any]] | None,
                   reason: str, key: str) -> GoodsReturn:
    merchant = merchant_of(actor)
    if merchant is None:
        raise RedemptionNotFound("找不到这笔核销记录")
    # Only the redemption's own row is locked (``of=("self",)``): a plain select_for_update
    # with select_related also locked the campaign row, and every claim's voucher insert waits
    # for that row's key-share lock (issue 12).
    found = locked(Redemption.objects.filter(pk=redemption_id, merchant=merchant)
                   .select_related("campaign"), no_key=True, of=("self",))
    if not found:
        raise RedemptionNotFound("找不到这笔核销记录（只能为本店的核销办理退货）")
    redemption = found[0]
    digest = body_hash("return", {"items": items, "reason": " ".join(str(reason or "").split())})
    if key:
        previous = GoodsReturn.objects.filter(redemption=redemption, idempotency_key=key).first()
        if previous is not None:
            if previous.request_hash and previous.request_hash != digest:
                raise IdempotencyMismatch("同一个请求号对应了不同的退货内容：请刷新页面后重新提交")
            return previous
    if redemption.state != RedemptionState.COMPLETED:
        raise RedemptionError("只有已完成的核销可以退货", code=RedemptionCode.RETURN_INVALID, status=409)
    reason = " ".join(str(reason or "").split())[:255]
    if not reason:
        raise RedemptionError("请填写退货原因", code=CampaignCode.REASON_REQUIRED)
    lines = {line.pk: line for line in redemption.lines.all()}
    wanted = _wanted_quantities(lines, items)
    returned_value = sum(_final_of(lines[i], lines[i].returned_quantity + q)
                         - _final_of(lines[i], lines[i].returned_quantity)
                         for i, q in wanted.items())
    kept_eligible = sum(line.final_fen - _final_of(line, line.returned_quantity + wanted.get(i, 0))
                        for i, line in lines.items() if line.eligible)
    campaign = redemption.campaign
    subsidy_now = redemption.subsidy_net_fen
    subsidy_after = min(pricing.subsidy_for(kept_eligible, rate_percent=campaign
                                            .subsidy_rate_percent,
                                            cap_fen=campaign.subsidy_cap_fen), subsidy_now)
    back = subsidy_now - subsidy_after
    before = redemption.settled_at is None
    by_source = _split_back(redemption, back) if back else {}
    release = lock_one(Release, redemption.release_id, no_key=True)
    ref = f"redemption:{redemption.pk}"
    if back and before:
        post(campaign=campaign, kind=TxKind.RETURN_BEFORE_SETTLEMENT, release=release,
             period=release.period, reference=ref, memo=f"核销 #{redemption.pk} 结算前退货，补贴退回",
             lines=move_by_source(campaign=campaign, split=by_source,
                                  source_scope=payable(redemption.merchant_id),
                                  dest_scope=pool_open_for_returns(release)))
        redemption.subsidy_returned_fen += back
    elif back:
        post(campaign=campaign, kind=TxKind.CLAWBACK, release=release, period=release.period,
             reference=ref, memo=f"核销 #{redemption.pk} 结算后退货，向{redemption.merchant}追缴补贴",
             lines=move_by_source(campaign=campaign, split=by_source,
                                  source_scope=paid_out(redemption.merchant_id),
                                  dest_scope=clawback_receivable(redemption.merchant_id)))
        redemption.clawback_fen += back
    redemption.save(update_fields=["subsidy_returned_fen", "clawback_fen"])
    for i, quantity in wanted.items():
        RedemptionLine.objects.filter(pk=i).update(
            returned_quantity=lines[i].returned_quantity + quantity)
    goods_return = GoodsReturn.objects.create(
        redemption=redemption, created_at=clock.now(), actor=actor, reason=reason,
        items=[{"line": i, "quantity": q, "description": lines[i].description}
               for i, q in wanted.items()],
        returned_final_fen=returned_value, subsidy_back_fen=back, refund_fen=returned_value - back,
        before_settlement=before, by_source=by_source, idempotency_key=key, request_hash=digest,
        refund_state="pending" if returned_value - back > 0 else "none")
    record(actor=actor, action="redemption.return", obj_type="redemption", obj_id=redemption.pk,
           summary=f"核销 #{redemption.pk} 退货：商品 {format_yuan(returned_value)} 元，"
           f"补贴{'退回' if before else '追缴'} {format_yuan(back)} 元，"
           f"退还顾客 {format_yuan(returned_value - back)} 元",
           after={"return": goods_return.pk, "by_source": by_source})
    return goods_return


def _wanted_quantities(lines: dict[int, RedemptionLine], items: list[dict[str, Any]] | None
                       ) -> dict[int, int]:
    if items is None:
        wanted = {i: line.quantity - line.returned_quantity for i, line in lines.items()
                  if line.quantity > line.returned_quantity}
        if not wanted:
            raise ReturnTooLarge("这笔核销的商品已经全部退货")
        return wanted
    if not isinstance(items, list) or not items:
        raise RedemptionError("请选择要退的商品", code=RedemptionCode.RETURN_INVALID)
    wanted = {}
    for item in items:
        line_id, quantity = (item or {}).get("line_id"), (item or {}).get("quantity")
        if (not isinstance(line_id, int) or isinstance(line_id, bool) or line_id not in lines):
            raise RedemptionError("退货商品不属于这笔核销", code=RedemptionCode.RETURN_INVALID)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise RedemptionError("退货数量必须是正整数", code=RedemptionCode.RETURN_INVALID)
        wanted[line_id] = wanted.get(line_id, 0) + quantity
    for line_id, quantity in wanted.items():
        line = lines[line_id]
        if quantity > line.quantity - line.returned_quantity:
            raise ReturnTooLarge(f"「{line.description}」最多还能退 "
                                 f"{line.quantity - line.returned_quantity} 件，不能退 {quantity} 件")
    return wanted
