"""The ledger's own reconcile checks (invariant 3); ``huiquan.reconcile`` runs every app's."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum

from huiquan.core.money import format_yuan
from huiquan.ledger.models import NEGATIVE_KINDS, AccountKind, LedgerTransaction, TxKind
from huiquan.ledger.selectors import accounts_of


def reconcile_ledger(campaign: Any) -> list[tuple[str, bool, str]]:
    """Double entry holds: every transaction balances, every balance is its postings, no pool
    below zero, money in = money out + balances, every release funding names its release."""
    out: list[tuple[str, bool, str]] = []
    txs = LedgerTransaction.objects.filter(campaign=campaign)

    unbalanced = list(txs.annotate(total=Sum("postings__amount_fen"), n=Count("postings"))
                      .filter(Q(n=0) | ~Q(total=0)).values_list("pk", flat=True)[:10])
    out.append(("每笔交易借贷平衡", not unbalanced,
                f"{txs.count()} 笔交易" + (f"；不平衡：{unbalanced}" if unbalanced else "")))

    accounts = accounts_of(campaign)
    drift = [a.code for a in accounts if a.balance_fen != (a.posted or 0)]  # type: ignore[attr-defined]
    out.append(("账户余额 = 分录合计", not drift,
                f"{len(accounts)} 个账户" + (f"；不符：{drift[:10]}" if drift else "")))

    negative = [a.code for a in accounts if a.kind not in NEGATIVE_KINDS and a.balance_fen < 0]
    out.append(("资金池无负数", not negative, "；".join(negative[:10]) or "所有资金池 ≥ 0"))

    total = sum(a.balance_fen for a in accounts)
    received = -sum(a.balance_fen for a in accounts if a.kind == AccountKind.FUNDING_SOURCE)
    held = sum(a.balance_fen for a in accounts if a.kind != AccountKind.FUNDING_SOURCE)
    out.append(("资金来源 = 去向 + 余额", total == 0,
                f"到位 {format_yuan(received)} 元 = 各池与已付 {format_yuan(held)} 元"))

    fund_tx = txs.filter(kind=TxKind.FUND_RELEASE, release__isnull=True).count()
    out.append(("投放交易均指向批次", fund_tx == 0,
                f"{fund_tx} 笔无批次的投放交易" if fund_tx else "是"))
    return out
