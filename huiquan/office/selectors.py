"""Reads the back office needs that no app offers yet. Read-only; each names its owner app,
where it should move once that app grows the selector."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from huiquan.audit import selectors as audit_selectors
from huiquan.audit.models import AuditEntry
from huiquan.campaigns import selectors as campaign_selectors
from huiquan.campaigns.models import Campaign, Period, Release
from huiquan.campaigns.selectors import ReleaseRow, SourceFunds
from huiquan.catalog.models import Kind, Product
from huiquan.core import identifiers
from huiquan.core.errors import NotFound
from huiquan.merchants.checks import CHECK_LABELS
from huiquan.merchants.models import Merchant, MerchantState
from huiquan.vouchers.selectors import VoucherCounts, voucher_counts


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
    state, label = campaign_selectors.display_state(release)
    return ReleaseRow(release, state, label,
                      campaign_selectors.release_balance(release),
                      campaign_selectors.redeemed_fen(release))


@dataclass
class CountedRow(ReleaseRow):
    """A release's overview row with its vouchers: claimed, used, expired unused (issue 16)."""

    vouchers: VoucherCounts = field(default_factory=VoucherCounts)


@dataclass
class PeriodView:
    period: Period
    state: str
    rows: list[CountedRow]


def periods_with_releases(campaign: Campaign) -> list[PeriodView]:
    counts = voucher_counts(campaign)
    return [PeriodView(p, campaign_selectors.period_state(p),
                       [CountedRow(r.release, r.state, r.label, r.balance, r.redeemed,
                                   counts.get(r.release.pk, VoucherCounts()))
                        for r in campaign_selectors.release_rows(p)])
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


def merchant_in(campaign: Campaign, merchant_id: int) -> Merchant:
    """merchants: one merchant of this campaign, or a Chinese 404."""
    merchant = (Merchant.objects.select_related("campaign", "decided_by")
                .filter(pk=merchant_id, campaign=campaign).first())
    if merchant is None:
        raise NotFound(f"没有这个商户（编号 {merchant_id}）：它不存在或不属于本活动。")
    return merchant


@dataclass(frozen=True)
class CheckRow:
    key: str
    label: str
    ok: bool
    detail: str


def check_rows(merchant: Merchant) -> list[CheckRow]:
    """merchants: the stored automatic checks, in the order of CHECK_LABELS, then any others."""
    results = (merchant.checks or {}).get("results") or {}
    keys = [k for k in CHECK_LABELS if k in results] + [k for k in results if k not in CHECK_LABELS]
    return [CheckRow(k, str(CHECK_LABELS.get(k) or k), bool(results[k].get("ok")),
                     str(results[k].get("detail", ""))) for k in keys]


def checked_at(merchant: Merchant) -> datetime | None:
    """merchants: when the stored checks ran (kept as ISO text beside them)."""
    try:
        return datetime.fromisoformat(str((merchant.checks or {})["at"]))
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


def merchant_state_counts(campaign: Campaign) -> list[StateCount]:
    """merchants: how many merchants are in each state (all states, zeros included)."""
    counts = dict(Merchant.objects.filter(campaign=campaign).order_by().values("state")
                  .annotate(n=Count("pk")).values_list("state", "n"))
    return [StateCount(value, str(label), counts.get(value, 0))
            for value, label in MerchantState.choices]


def merchant_history(merchant: Merchant, limit: int = 50) -> list[Any]:
    """audit: what was done to this merchant, newest first."""
    return list(AuditEntry.objects.filter(object_type="merchant", object_id=str(merchant.pk))
                .order_by("-seq")[:limit])


def campaign_kinds(campaign: Campaign) -> QuerySet[Kind]:
    """catalog: the kinds a switch form may name (this campaign's only)."""
    return Kind.objects.filter(campaign=campaign)


def campaign_products(campaign: Campaign, query: str = "") -> QuerySet[Product]:
    """catalog: the register of this campaign, optionally searched by GTIN, brand or model."""
    qs = (Product.objects.filter(campaign=campaign).select_related("kind", "changed_in")
          .order_by("kind__order", "brand", "model", "pk"))
    if query:
        digits = identifiers.compact(query)  # a GTIN typed in fullwidth or in groups
        qs = qs.filter(Q(gtin__contains=digits if identifiers.is_ascii_digits(digits) else query)
                       | Q(brand__icontains=query) | Q(model__icontains=query))
    return qs


@dataclass
class CategoryKinds:
    code: str
    name: str
    kinds: list[Any]


def kinds_by_category(kinds: list[Kind]) -> list[CategoryKinds]:
    """catalog: kinds (in their order) grouped under their category, as the annex lists them."""
    out: list[CategoryKinds] = []
    for kind in kinds:
        if not out or out[-1].code != kind.category_code:
            out.append(CategoryKinds(kind.category_code, kind.category_name, []))
        out[-1].kinds.append(kind)
    return out
