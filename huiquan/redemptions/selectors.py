"""Reads of redemptions: a merchant's own (never another's), the consumer's, reconciliation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from huiquan.core import clock, sql
from huiquan.core.money import format_yuan
from huiquan.redemptions import scan
from huiquan.redemptions.errors import RedemptionNotFound
from huiquan.redemptions.models import (
    AutoRefund,
    GoodsReturn,
    Redemption,
    RedemptionLine,
    RedemptionState,
)


def for_merchant(merchant: Any, redemption_id: int) -> Redemption:
    """A merchant sees only its own redemptions: another's id is simply not found."""
    found = (Redemption.objects.filter(pk=redemption_id, merchant=merchant)
             .select_related("consumer", "release__period", "merchant", "campaign")
             .defer("merchant__checks", "campaign__config")
             .prefetch_related("lines", "returns").first())
    if found is None:
        raise RedemptionNotFound("找不到这笔核销记录")
    return found


@dataclass(frozen=True)
class RedemptionView:
    """What the API answers about one redemption."""

    redemption: Redemption
    merchant_name: str
    consumer_masked_id: str
    lines: list[RedemptionLine]
    returns: list[GoodsReturn]
    auto_refund: AutoRefund | None = None


def view_for_merchant(merchant: Any, redemption_id: int) -> RedemptionView:
    """``for_merchant`` for the API, in four plain queries: the till reads it after every sale
    (bench/RESULTS.md). Another merchant's id is not found."""
    found = sql.load(Redemption, "id = %s AND merchant_id = %s",
                     [redemption_id, getattr(merchant, "pk", merchant)])
    if not found:
        raise RedemptionNotFound("找不到这笔核销记录")
    redemption = found[0]
    merchant_name, masked = scan.names_of(redemption.merchant_id, redemption.consumer_id)
    return RedemptionView(
        redemption=redemption, merchant_name=merchant_name, consumer_masked_id=masked,
        lines=sorted(sql.load(RedemptionLine, "redemption_id = %s", [redemption.pk]),
                     key=lambda line: (line.position, line.pk)),
        returns=sorted(sql.load(GoodsReturn, "redemption_id = %s", [redemption.pk]),
                       key=lambda g: (g.created_at, g.pk), reverse=True),
        auto_refund=auto_refund_of(redemption))


def view_after_sale(redemption: Redemption) -> RedemptionView:
    """The answer to the sale just made: what the sale itself wrote, and the shop's and buyer's
    names in one read (``view_for_merchant`` made four; issue 15). A sale not made just now
    (a replay, a pending one) is read as ``view_for_merchant`` reads it."""
    lines = redemption.lines_written
    if lines is None or redemption.state != RedemptionState.COMPLETED:
        return view_for_merchant(redemption.merchant_id, redemption.pk)
    merchant_name, masked = scan.names_of(redemption.merchant_id, redemption.consumer_id)
    return RedemptionView(redemption=redemption, merchant_name=merchant_name,
                          consumer_masked_id=masked,
                          lines=sorted(lines, key=lambda line: (line.position, line.pk)),
                          returns=[])


def auto_refund_of(redemption: Redemption) -> AutoRefund | None:
    """The automatic refund of a failed sale's late charge, if any (only failed sales have
    one: no query for the others)."""
    if redemption.state != RedemptionState.FAILED:
        return None
    return AutoRefund.objects.filter(redemption_id=redemption.pk).first()


_KEEPS_VOUCHER = "补贴预占已释放，消费券仍可使用"


def payment_outcome(redemption: Redemption, auto_refund: AutoRefund | None = None) -> str:
    """The true outcome of a sale's payment in one Chinese sentence, for the till, the API and
    the resident: paid; still unknown; declined; cancelled at the provider (nothing taken); or
    cancelled and the money that still came paid back."""
    if redemption.state == RedemptionState.COMPLETED:
        return "支付成功，核销完成"
    if redemption.state == RedemptionState.PENDING:
        return "支付结果确认中：系统正在向支付通道确认（约两分钟内）"
    refund = auto_refund or auto_refund_of(redemption)
    if refund is not None:
        paid = format_yuan(refund.amount_fen)
        if refund.refund_state == "done":
            return f"支付已撤销并退款：支付通道后来扣款成功的 {paid} 元已原路退还顾客。{_KEEPS_VOUCHER}"
        return f"支付已撤销，退款处理中：支付通道后来扣款成功的 {paid} 元正在原路退还顾客。{_KEEPS_VOUCHER}"
    if redemption.failure_code == "PAYMENT_CANCELLED":
        return f"支付超时，已在支付通道撤销，未扣款。{_KEEPS_VOUCHER}"
    return f"支付未成功：{redemption.failure_message or '支付通道拒绝'}。{_KEEPS_VOUCHER}"


def payment_notice(consumer: Any) -> str | None:
    """For the resident's page: how their latest sale's payment ended, when it did not simply
    succeed (nothing for a completed sale). In the resident's words, not the till's."""
    latest = (Redemption.objects.filter(consumer=consumer).select_related("merchant")
              .only("state", "failure_code", "failure_message", "consumer_pays_fen",
                    "created_at", "merchant__legal_name").order_by("-created_at", "-pk").first())
    if latest is None or latest.state == RedemptionState.COMPLETED:
        return None
    when = clock.local(latest.created_at)
    sale = (f"您 {when:%m月%d日 %H:%M} 在「{latest.merchant.legal_name}」"
            f"应付 {format_yuan(latest.consumer_pays_fen)} 元的付款")
    if latest.state == RedemptionState.PENDING:
        return f"{sale}正在确认结果，请稍候刷新本页。"
    refund = auto_refund_of(latest)
    if refund is not None:
        back = "已原路退回" if refund.refund_state == "done" else "正在原路退回"
        return f"{sale}已撤销；支付通道后来扣下的 {format_yuan(refund.amount_fen)} 元{back}。"
    if latest.failure_code == "PAYMENT_CANCELLED":
        return f"{sale}已撤销，未扣款。"
    return f"{sale}未成功（{latest.failure_message or '支付通道拒绝'}），未扣款。"


def sales_of(consumer: Any) -> list[Redemption]:
    """The resident's own sales, newest first, with the shop's name and every return: "my
    voucher"'s history (which shop, when, how much saved, any return and its refund)."""
    return list(Redemption.objects.filter(consumer=consumer).select_related("merchant")
                .only("state", "created_at", "completed_at", "total_final_fen", "subsidy_fen",
                      "subsidy_returned_fen", "clawback_fen", "consumer_pays_fen", "voucher_id",
                      "failure_code", "failure_message", "merchant__legal_name")
                .prefetch_related("returns").order_by("-created_at", "-pk"))


def vouchers_in_sale(voucher_ids: list[int]) -> set[int]:
    """Which of these vouchers a till has reserved with the payment still in flight (使用中)."""
    if not voucher_ids:
        return set()
    return set(Redemption.objects.filter(voucher_id__in=voucher_ids,
                                         state=RedemptionState.PENDING)
               .values_list("voucher_id", flat=True))


def sale_state_of_voucher(voucher_id: int) -> tuple[int, str] | None:
    """(id, state) of the latest sale that used or is using this voucher: what the resident's
    page polls for while it shows the payment code (one indexed query)."""
    row = (Redemption.objects.filter(voucher_id=voucher_id).order_by("-pk")
           .values_list("pk", "state").first())
    return (row[0], row[1]) if row else None


def day_of(merchant: Any, day: datetime | None = None) -> list[Redemption]:
    start = clock.local(day or clock.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return list(Redemption.objects.filter(merchant=merchant, created_at__gte=start,
                                          created_at__lt=start + timedelta(days=1))
                .select_related("consumer").prefetch_related("lines", "returns")
                .order_by("-created_at"))


def recent_of(merchant: Any, limit: int = 50) -> list[Redemption]:
    return list(Redemption.objects.filter(merchant=merchant).select_related("consumer")
                .prefetch_related("returns").order_by("-created_at")[:limit])


def of_voucher(voucher: Any) -> Redemption | None:
    return (Redemption.objects.filter(voucher=voucher, state=RedemptionState.COMPLETED)
            .select_related("merchant").first())
