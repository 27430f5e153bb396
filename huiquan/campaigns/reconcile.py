"""Campaigns' reconcile checks (R-FUND-1, R-SCHED-6); ``huiquan.reconcile`` runs every app's."""

from __future__ import annotations

from huiquan.campaigns.models import Campaign
from huiquan.core.money import format_yuan
from huiquan.ledger.models import AccountKind
from huiquan.ledger.selectors import accounts_of


def reconcile_campaign(campaign: Campaign) -> list[tuple[str, bool, str]]:
    """No source received more than it committed; a carried-over period's pool is empty."""
    accounts = accounts_of(campaign)
    over = []
    for source in campaign.funding_sources.all():
        got = -sum(a.balance_fen for a in accounts
                   if a.kind == AccountKind.FUNDING_SOURCE and a.source_id == source.pk)
        if got > source.committed_fen or got < 0:
            over.append(f"{source.name} 到位 {format_yuan(got)} > 承诺 "
                        f"{format_yuan(source.committed_fen)}")
    out = [("到位不超过承诺", not over, "；".join(over) or "各来源均未超过承诺金额")]
    stranded = []
    for period in campaign.periods.filter(carried_over_at__isnull=False).order_by("number"):
        held = sum(a.balance_fen for a in accounts
                   if a.kind == AccountKind.PERIOD_POOL and a.period_id == period.pk)
        if held:
            stranded.append(f"{period}: 已结转，资金池却仍有 {format_yuan(held)} 元（无法再投放）")
    out.append(("已结转周期的资金池为零", not stranded,
                "；".join(stranded) or "结转后退回的资金都进了可投放的资金池（R-SCHED-6）"))
    return out
