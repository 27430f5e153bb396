"""Reconciliation against the payment provider's own statement (对账单), for ``huiquan
reconcile`` (invariant 5: no payer's money is kept or lost without a sale or a refund).

- every charge that succeeded at the provider is a completed sale of the same amount, or was
  paid back in full by an automatic refund; and every completed sale has such a charge;
- every refund at the provider is a goods return's refund or an automatic refund of the same
  amount, and every refund the platform counts as done is at the provider;
- no refund is left pending (past ``STALE``) or failed.

A sale still pending, and a refund the provider made but the platform has not written down yet,
are in flight, not wrong, for ``STALE`` (tick settles them within a minute or two); after that
they are reported. Reads only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from huiquan.core import clock
from huiquan.core.money import format_yuan
from huiquan.redemptions import payments
from huiquan.redemptions.models import (
    AutoRefund,
    GoodsReturn,
    Redemption,
    RedemptionState,
    RefundState,
)

STALE = timedelta(minutes=10)
SHOWN = 10  # mismatches named in a check's detail


def _charges(campaign: Any, charges: dict[str, payments.ProviderRecord],
             now: Any) -> tuple[list[str], int]:
    """Mismatches between succeeded charges and this campaign's sales; and how many charges
    are this campaign's."""
    bad: list[str] = []
    sales = Redemption.objects.filter(campaign=campaign).values_list(
        "pk", "payment_key", "state", "consumer_pays_fen", "created_at")
    refunds = dict(AutoRefund.objects.filter(redemption__campaign=campaign).values_list(
        "redemption_id", "refund_state"))
    refunded_fen = dict(AutoRefund.objects.filter(redemption__campaign=campaign).values_list(
        "redemption_id", "amount_fen"))
    mine = 0
    for pk, key, state, pays, created_at in sales:
        charge = charges.get(key)
        if charge is None:
            if state == RedemptionState.COMPLETED:
                bad.append(f"核销 #{pk} 已完成，支付通道无成功扣款")
            continue
        mine += 1
        if state == RedemptionState.COMPLETED:
            if charge.amount_fen != pays:
                bad.append(f"核销 #{pk} 实付 {format_yuan(pays)} ≠ 通道扣款 "
                           f"{format_yuan(charge.amount_fen)}")
        elif state == RedemptionState.PENDING:
            if now - created_at > STALE:
                bad.append(f"核销 #{pk} 通道已扣款 {format_yuan(charge.amount_fen)} 元，平台仍为支付中")
        elif refunds.get(pk) != RefundState.DONE or refunded_fen.get(pk) != charge.amount_fen:
            bad.append(f"核销 #{pk} 已失败/撤销，通道扣款 {format_yuan(charge.amount_fen)} 元未退还顾客")
    return bad, mine


def _refunds(campaign: Any, refunds: dict[str, payments.ProviderRecord],
             now: Any) -> tuple[list[str], list[str], int]:
    """(mismatches, refunds left pending or failed, how many refunds are this campaign's)."""
    ours: dict[str, tuple[int, str, Any, str]] = {}
    for pk, amount, state, created_at in GoodsReturn.objects.filter(
            redemption__campaign=campaign).exclude(refund_state=RefundState.NONE).values_list(
            "pk", "refund_fen", "refund_state", "created_at"):
        ours[f"refund-{pk}"] = (amount, state, created_at, f"退货 #{pk}")
    for pk, amount, state, created_at in AutoRefund.objects.filter(
            redemption__campaign=campaign).values_list(
            "redemption_id", "amount_fen", "refund_state", "created_at"):
        ours[f"autorefund-{pk}"] = (amount, state, created_at, f"核销 #{pk} 的自动退款")
    bad: list[str] = []
    stuck: list[str] = []
    for key, (amount, state, created_at, name) in ours.items():
        at_provider = refunds.get(key)
        if state == RefundState.DONE:
            if at_provider is None:
                bad.append(f"{name} 记为已退款，支付通道无此退款")
            elif at_provider.amount_fen != amount:
                bad.append(f"{name} 应退 {format_yuan(amount)} ≠ 通道退款 "
                           f"{format_yuan(at_provider.amount_fen)}")
        elif state == RefundState.FAILED or now - created_at > STALE:
            stuck.append(f"{name} {RefundState(state).label}（{format_yuan(amount)} 元）")
    return bad, stuck, sum(1 for key in ours if key in refunds)


def _strangers(keys: set[str]) -> list[str]:
    """Provider records that belong to no sale or return of any campaign."""
    known = set(Redemption.objects.filter(payment_key__in=keys).values_list("payment_key",
                                                                            flat=True))
    returns = {f"refund-{pk}" for pk in GoodsReturn.objects.filter(
        pk__in=[int(k[7:]) for k in keys if k.startswith("refund-") and k[7:].isdigit()])
        .values_list("pk", flat=True)}
    autos = {f"autorefund-{pk}" for pk in AutoRefund.objects.filter(
        redemption_id__in=[int(k[11:]) for k in keys
                           if k.startswith("autorefund-") and k[11:].isdigit()])
        .values_list("redemption_id", flat=True)}
    return sorted(keys - known - returns - autos)


def provider_checks(campaign: Any) -> list[tuple[str, bool, str]]:
    """The provider's statement against this campaign's sales and refunds."""
    provider = payments.provider()
    try:
        records = provider.records()
    except Exception as exc:  # no statement, no proof
        return [("支付通道对账", False, f"无法取得支付通道对账单：{exc.__class__.__name__}")]
    now = clock.now()
    charges = {r.key: r for r in records if r.kind == "charge" and r.state == "succeeded"}
    refunds = {r.key: r for r in records if r.kind == "refund" and r.state == "succeeded"}
    bad_charges, my_charges = _charges(campaign, charges, now)
    bad_refunds, stuck, my_refunds = _refunds(campaign, refunds, now)
    unknown = _strangers(set(charges) | set(refunds))
    if unknown:
        bad_charges.append(f"通道有 {len(unknown)} 笔款项不属于任何核销或退货："
                           + "、".join(unknown[:SHOWN]))
    return [
        ("支付通道：成功扣款 = 已完成核销或已退还", not bad_charges,
         "；".join(bad_charges[:SHOWN]) or f"{provider.name}：{my_charges} 笔成功扣款均有对应"),
        ("支付通道：退款 = 退货退款 + 自动退款", not bad_refunds,
         "；".join(bad_refunds[:SHOWN]) or f"{my_refunds} 笔退款均有对应"),
        ("退款无积压（待退/失败）", not stuck, "；".join(stuck[:SHOWN]) or "没有"),
    ]
