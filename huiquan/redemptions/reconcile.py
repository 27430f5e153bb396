"""Redemptions' reconcile checks against the ledger, the vouchers and the payment provider's
statement (invariant 5); ``huiquan.reconcile`` runs every app's."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum

from huiquan.core.money import format_yuan
from huiquan.ledger.models import AccountKind
from huiquan.ledger.scopes import merchant_party
from huiquan.ledger.selectors import party_balance
from huiquan.redemptions.models import Redemption, RedemptionState
from huiquan.redemptions.provider_check import provider_checks
from huiquan.vouchers.reconcile import used_vouchers


def reconcile_redemptions(campaign: Any) -> list[tuple[str, bool, str]]:
    """Redemptions against the ledger: reserved = pending subsidies; each merchant's payable =
    completed subsidies less returns before settlement (until settlement pays them out); used
    vouchers = completed redemptions; then the provider's statement (provider_check)."""
    out: list[tuple[str, bool, str]] = []
    rows = Redemption.objects.filter(campaign=campaign)
    pending = int(rows.filter(state=RedemptionState.PENDING).aggregate(s=Sum("subsidy_fen"))["s"]
                  or 0)
    reserved = party_balance(campaign, AccountKind.RESERVED)
    out.append(("预占 = 支付中核销的补贴", pending == reserved,
                f"预占账户 {format_yuan(reserved)} 元，支付中 {format_yuan(pending)} 元"))
    bad = []
    completed = rows.filter(state=RedemptionState.COMPLETED, settled_at__isnull=True)
    per_merchant = completed.values("merchant_id").annotate(
        s=Sum("subsidy_fen"), r=Sum("subsidy_returned_fen"))
    for row in per_merchant:
        owed = (row["s"] or 0) - (row["r"] or 0)
        held = party_balance(campaign, AccountKind.MERCHANT_PAYABLE,
                             merchant_party(row["merchant_id"]))
        if owed != held:
            bad.append(f"商户 {row['merchant_id']}：应付 {format_yuan(held)} ≠ 核销 {format_yuan(owed)}")
    out.append(("应付商户 = 已核销补贴（未结算）", not bad, "；".join(bad[:10]) or
                f"{len(per_merchant)} 户商户"))
    used = used_vouchers(campaign)
    done = rows.filter(state=RedemptionState.COMPLETED).count()
    out.append(("已用券 = 已完成核销", used == done, f"已用 {used} 张，核销 {done} 笔"))
    double = (rows.filter(Q(state=RedemptionState.PENDING) | Q(state=RedemptionState.COMPLETED))
              .values("consumer_id").annotate(n=Count("id")).filter(n__gt=1).count())
    out.append(("每人至多一笔有效核销", double == 0, f"{double} 人多于一笔" if double else "是"))
    return out + provider_checks(campaign)
