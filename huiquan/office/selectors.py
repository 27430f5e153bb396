"""Reads the back office needs that no app offers yet. Read-only; each names its owner app,
where it should move once that app grows the selector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huiquan.audit import selectors as audit_selectors
from huiquan.audit.models import AuditEntry
from huiquan.campaigns import selectors as campaign_selectors
from huiquan.campaigns.models import Campaign, Period, Release
from huiquan.campaigns.selectors import ReleaseRow, SourceFunds
from huiquan.core.errors import NotFound


def current_campaign() -> Campaign:
    campaign = campaign_selectors.current_campaign()
    if campaign is None:
        raise NotFound("还没有载入任何活动：请运行 huiquan campaign load 活动文件")
    return campaign


def release_in(campaign: Campaign, release_id: int) -> Release:
    """campaigns: one release of this campaign, or a Chinese 404."""
    release = (Release.objects.select_related("period", "period__campaign", "confirmed_by")
               .filter(pk=release_id, period__campaign=campaign).first())
    if release is None:
        raise NotFound(f"没有这个批次（编号 {release_id}）：它不存在或不属于本活动。")
    return release


def release_row(release: Release) -> ReleaseRow:
    """campaigns: the overview row of one release (state, balance, redeemed)."""
    state = campaign_selectors.release_state(release)
    return ReleaseRow(release, state, campaign_selectors.STATE_LABELS[state],
                      campaign_selectors.release_balance(release),
                      campaign_selectors.redeemed_fen(release))


@dataclass
class PeriodView:
    period: Period
    state: str
    rows: list[ReleaseRow]


def periods_with_releases(campaign: Campaign) -> list[PeriodView]:
    return [PeriodView(p, campaign_selectors.period_state(p), campaign_selectors.release_rows(p))
            for p in campaign.periods.order_by("number")]


@dataclass
class FundsTotals:
    committed: int = 0
    received: int = 0
    not_received: int = 0
    released: int = 0
    returned: int = 0
    redeemed: int = 0
    settled: int = 0
    available: int = 0


def funds_totals(funds: list[SourceFunds]) -> FundsTotals:
    totals = FundsTotals()
    for f in funds:
        for name in ("committed", "received", "not_received", "released", "returned",
                     "redeemed", "settled", "available"):
            setattr(totals, name, getattr(totals, name) + getattr(f, name))
    return totals


def audit_object_types() -> list[str]:
    """audit: the object types present in the log, for the filter's select."""
    return sorted(set(AuditEntry.objects.order_by().values_list("object_type", flat=True)
                      .distinct()))


def fund_receipts(limit: int = 20) -> list[Any]:
    """audit: the latest 登记资金到位 entries (who, when, how much, which document)."""
    return list(audit_selectors.entries(action="funds.receive")[:limit])
