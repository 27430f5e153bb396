"""Reconciliation: prove the counters, the ledger and the rules agree (invariant 3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum

from huiquan.core.money import format_yuan
from huiquan.ledger.models import NEGATIVE_KINDS, Account, AccountKind, LedgerTransaction, TxKind


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Reconciliation:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def table(self) -> str:
        width = max((len(c.name) for c in self.checks), default=10)
        lines = [f"{'检查项'.ljust(width)}  结果  说明"]
        for c in self.checks:
            lines.append(f"{c.name.ljust(width)}  {'通过' if c.ok else '不符'}  {c.detail}")
        lines.append("对账通过" if self.ok else "对账不符：见上表标为「不符」的项")
        return "\n".join(lines)


def reconcile(campaign: Any) -> Reconciliation:
    """Every check the ledger allows, for one campaign. Reads only."""
    from huiquan.campaigns.models import Release
    from huiquan.campaigns.selectors import funded_fen, release_balance

    rec = Reconciliation()
    txs = LedgerTransaction.objects.filter(campaign=campaign)

    unbalanced = list(txs.annotate(total=Sum("postings__amount_fen"), n=Count("postings"))
                      .filter(Q(n=0) | ~Q(total=0)).values_list("pk", flat=True)[:10])
    rec.add("每笔交易借贷平衡", not unbalanced,
            f"{txs.count()} 笔交易" + (f"；不平衡：{unbalanced}" if unbalanced else ""))

    accounts = Account.objects.filter(campaign=campaign).annotate(
        posted=Sum("postings__amount_fen"))
    drift = [a.code for a in accounts if a.balance_fen != (a.posted or 0)]
    rec.add("账户余额 = 分录合计", not drift,
            f"{len(accounts)} 个账户" + (f"；不符：{drift[:10]}" if drift else ""))

    negative = [a.code for a in accounts if a.kind not in NEGATIVE_KINDS and a.balance_fen < 0]
    rec.add("资金池无负数", not negative, "；".join(negative[:10]) or "所有资金池 ≥ 0")

    total = sum(a.balance_fen for a in accounts)
    received = -sum(a.balance_fen for a in accounts if a.kind == AccountKind.FUNDING_SOURCE)
    held = sum(a.balance_fen for a in accounts if a.kind != AccountKind.FUNDING_SOURCE)
    rec.add("资金来源 = 去向 + 余额", total == 0,
            f"到位 {format_yuan(received)} 元 = 各池与已付 {format_yuan(held)} 元")

    over = []
    for source in campaign.funding_sources.all():
        got = -sum(a.balance_fen for a in accounts
                   if a.kind == AccountKind.FUNDING_SOURCE and a.source_id == source.pk)
        if got > source.committed_fen or got < 0:
            over.append(f"{source.name} 到位 {format_yuan(got)} > 承诺 "
                        f"{format_yuan(source.committed_fen)}")
    rec.add("到位不超过承诺", not over, "；".join(over) or "各来源均未超过承诺金额")

    from django.db.models import Count as _Count

    from huiquan.vouchers.models import Voucher

    issued = dict(Voucher.objects.filter(campaign=campaign).values("release_id")
                  .annotate(n=_Count("id")).values_list("release_id", "n"))
    bad_releases = []
    releases = Release.objects.filter(period__campaign=campaign)
    for r in releases:
        claimed = issued.get(r.pk, 0)
        if claimed != (r.voucher_count or 0) - r.remaining_count:
            bad_releases.append(f"{r}: 已领 {claimed} 张 ≠ 总数 {r.voucher_count or 0} − 剩余 "
                                f"{r.remaining_count}")
        funded = funded_fen(r)
        if r.confirmed_at is None:
            if funded or release_balance(r):
                bad_releases.append(f"{r}: 未确认却有资金")
            continue
        if funded != r.amount_fen:
            bad_releases.append(f"{r}: 确认 {format_yuan(r.amount_fen or 0)} ≠ 投放 "
                                f"{format_yuan(funded)}")
        if r.voucher_count is None or not 0 <= r.remaining_count <= r.voucher_count:
            bad_releases.append(f"{r}: 剩余券数 {r.remaining_count} 超出 0..{r.voucher_count}")
        if r.returned_at is not None and release_balance(r) != 0:
            bad_releases.append(f"{r}: 已退回但批次账户仍有 {format_yuan(release_balance(r))}")
    rec.add("批次计数与账本一致", not bad_releases,
            "；".join(bad_releases[:10]) or f"{releases.count()} 个批次")

    stranded = []
    for period in campaign.periods.filter(carried_over_at__isnull=False).order_by("number"):
        held = sum(a.balance_fen for a in accounts
                   if a.kind == AccountKind.PERIOD_POOL and a.period_id == period.pk)
        if held:
            stranded.append(f"{period}: 已结转，资金池却仍有 {format_yuan(held)} 元（无法再投放）")
    rec.add("已结转周期的资金池为零", not stranded,
            "；".join(stranded) or "结转后退回的资金都进了可投放的资金池（R-SCHED-6）")

    fund_tx = txs.filter(kind=TxKind.FUND_RELEASE, release__isnull=True).count()
    rec.add("投放交易均指向批次", fund_tx == 0, f"{fund_tx} 笔无批次的投放交易" if fund_tx else "是")

    from huiquan.redemptions.selectors import reconcile_redemptions

    for name, ok, detail in reconcile_redemptions(campaign):
        rec.add(name, ok, detail)
    return rec
