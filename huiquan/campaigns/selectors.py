"""Reads about campaigns, releases and their money. Every number comes from the ledger."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from huiquan.campaigns.models import Campaign, FundingSource, Period, Release
from huiquan.core import clock, memo, sql
from huiquan.core.converters import MAX_ID
from huiquan.core.money import format_yuan
from huiquan.ledger.models import AccountKind, TxKind
from huiquan.ledger.selectors import pool_total, posted_by_source, posted_fen


def funding_sources(campaign: Any) -> list[FundingSource]:
    """A campaign's funding sources (instance or id) in funding order: the ledger takes money
    from them in this order (ledger.services.transfer, sweep)."""
    sources = sql.load(FundingSource, "campaign_id = %s", [getattr(campaign, "pk", campaign)])
    return sorted(sources, key=lambda s: (s.order, s.pk))


# The till's two postings per sale name the campaign's funding sources and the release's period.
# Sources are added only when a campaign file is (re)loaded, so a few seconds' memo is enough;
# a release's period never changes (issue 15: two reads fewer in every sale's write lock).
SOURCES_CACHE_SECONDS = 5.0
_sources_memo = memo.new_dict("campaigns.funding_sources")
_release_periods = memo.new_dict("campaigns.release_periods")


def funding_sources_memo(campaign: Any) -> list[FundingSource]:
    """``funding_sources``, remembered in this process for a few seconds (the till's path)."""
    campaign_id = getattr(campaign, "pk", campaign)
    cached = _sources_memo.get(campaign_id)
    if cached is not None and time.monotonic() - cached[0] < SOURCES_CACHE_SECONDS:
        return list(cached[1])
    sources = funding_sources(campaign_id)
    _sources_memo[campaign_id] = (time.monotonic(), tuple(sources))
    return sources


def release_period_id(release_id: int) -> int:
    """The period a release belongs to (remembered: it never changes)."""
    period_id = _release_periods.get(release_id)
    if period_id is None:
        row = sql.fetch_one("SELECT period_id FROM campaigns_release WHERE id = %s", [release_id])
        if row is None:
            raise Release.DoesNotExist(f"release {release_id}")
        period_id = _release_periods[release_id] = row[0]
    return int(period_id)


@dataclass(frozen=True)
class ReleaseView:
    """What the claim path needs of a release, read in one light query (no JSON blobs)."""

    pk: int
    campaign_id: int
    opens_at: datetime
    expires_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    remaining_count: int
    fence_adcode: str | None
    fence_name: str | None


# Every claim reads its release in plain SQL: on the release-day path the ORM's query building
# cost more than the query (bench/RESULTS.md).
_CLAIM_RELEASE_SQL = (
    "SELECT r.id, p.campaign_id, r.opens_at, r.expires_at, r.confirmed_at, r.cancelled_at, "
    "r.remaining_count FROM campaigns_release r JOIN campaigns_period p ON p.id = r.period_id "
    "WHERE r.id = %s"
)

# The current campaign and its claim fence, re-read at most every few seconds per process (a new
# campaign file is loaded once a season; a release is read on every claim).
CAMPAIGN_CACHE_SECONDS = 5.0
_campaign_fence = memo.new_dict("campaigns.current_fence")


def current_campaign_fence() -> tuple[int, str | None, str | None] | None:
    """(id, claim fence adcode, its name) of the current campaign, or None."""
    cached = _campaign_fence.get("current")
    if cached is not None and time.monotonic() - cached[0] < CAMPAIGN_CACHE_SECONDS:
        return cached[1], cached[2], cached[3]
    rows = list(Campaign.objects.order_by("-pk").values_list(
        "pk", "config__geofences__claim__adcode", "config__geofences__claim__name")[:1])
    if not rows:
        return None
    _campaign_fence["current"] = (time.monotonic(), *rows[0])
    return rows[0]


def claim_release(release_id: int) -> ReleaseView | None:
    """The release a claim names, with the current campaign's claim fence; None when there is
    no such release in the current campaign. Nothing about its window is decided here."""
    current = current_campaign_fence()
    rows = (sql.fetch(_CLAIM_RELEASE_SQL, [release_id], times=(2, 3, 4, 5))
            if 0 < release_id <= MAX_ID else [])  # above 2^63 the driver itself would fail
    row = rows[0] if rows and current is not None and rows[0][1] == current[0] else None
    if row is None or current is None:
        return None
    pk, campaign_id, opens_at, expires_at, confirmed_at, cancelled_at, remaining = row
    return ReleaseView(pk=pk, campaign_id=campaign_id, opens_at=opens_at,
                       expires_at=expires_at, confirmed_at=confirmed_at,
                       cancelled_at=cancelled_at, remaining_count=remaining,
                       fence_adcode=current[1], fence_name=current[2])


def remaining_count(release_id: int) -> int:
    return Release.objects.get(pk=release_id).remaining_count


def open_releases(now: datetime) -> list[Release]:
    """Confirmed releases whose claim window is open at ``now``."""
    return list(Release.objects.filter(opens_at__lte=now, expires_at__gt=now,
                                       confirmed_at__isnull=False))


def releases_of(campaign: Any) -> QuerySet[Release]:
    return Release.objects.filter(period__campaign=campaign)


def current_campaign() -> Campaign | None:
    return Campaign.objects.order_by("-pk").first()


# --- release state --------------------------------------------------------------------------

STATE_LABELS = {
    "cancelled": "已取消",
    "awaiting_confirmation": "待确认金额",
    "missed": "未确认，未发放",
    "scheduled": "已确认，待开抢",
    "open": "发放中",
    "sold_out": "已抢完",  # open, nothing left to claim (shown only, never a stored state)
    "expired": "已到期，余额待退回",
    "returned": "已到期，余额已退回",
}


def release_state(release: Release, now: datetime | None = None) -> str:
    """Computed from stored timestamps at the moment of asking (invariant 2)."""
    now = now or clock.now()
    if release.cancelled_at is not None:
        return "cancelled"
    if release.confirmed_at is None:
        return "awaiting_confirmation" if now < release.expires_at else "missed"
    if now < release.opens_at:
        return "scheduled"
    if now < release.expires_at:
        return "open"
    return "returned" if release.returned_at else "expired"


def display_state(release: Release, now: datetime | None = None) -> tuple[str, str]:
    """(state, label) for people: an open release with no voucher left is "已抢完", not
    "发放中". Decisions keep using ``release_state`` (sold out is still open for money)."""
    state = release_state(release, now)
    if state == "open" and release.voucher_count and release.remaining_count == 0:
        state = "sold_out"
    return state, STATE_LABELS[state]


def release_by_id(release_id: int) -> Release | None:
    return Release.objects.select_related("period").filter(pk=release_id).first()


def schedule_of(campaign: Campaign, release: Release | None) -> tuple[
        list[tuple[datetime, datetime]], list[Period]]:
    """For the campaign page's rules: (opens_at, expires_at) of every release of the period a
    visitor cares about (the given release's, else the first period with releases), and the
    periods whose dates are still to be decided."""
    period = release.period if release is not None else (
        campaign.periods.filter(releases__isnull=False).order_by("number").first())
    times = list(period.releases.filter(cancelled_at__isnull=True).order_by("opens_at")
                 .values_list("opens_at", "expires_at")) if period else []
    later = list(campaign.periods.filter(starts_at__isnull=True).order_by("number"))
    return times, later


# --- money from the ledger ------------------------------------------------------------------


def release_balance(release: Release) -> int:
    return pool_total(release.period.campaign, AccountKind.RELEASE_POOL, release=release)


def redeemed_fen(release: Release) -> int:
    """核券金额 of a release: subsidy booked to merchants, net of returns before settlement."""
    return posted_fen(release=release, account_kind=AccountKind.MERCHANT_PAYABLE,
                      tx_kinds=[TxKind.REDEEM, TxKind.RETURN_BEFORE_SETTLEMENT])


def funded_fen(release: Release) -> int:
    return posted_fen(release=release, account_kind=AccountKind.RELEASE_POOL,
                      tx_kinds=[TxKind.FUND_RELEASE])


def releasable_fen(campaign: Campaign, period: Period) -> int:
    """Received money not yet in a live release: the period's pool, unallocated campaign
    money, and what expired releases of the period are due to return."""
    pending_returns = sum(
        release_balance(r)
        for r in period.releases.filter(confirmed_at__isnull=False, returned_at__isnull=True,
                                        expires_at__lte=clock.now())
    )
    return (pool_total(campaign, AccountKind.PERIOD_POOL, period=period)
            + pool_total(campaign, AccountKind.CAMPAIGN_POOL)
            + pending_returns)


@dataclass
class SourceFunds:
    source: FundingSource
    committed: int
    received: int = 0
    released: int = 0
    returned: int = 0
    redeemed: int = 0
    settled: int = 0
    available: int = 0

    @property
    def not_received(self) -> int:
        return self.committed - self.received


def funds_by_source(campaign: Campaign) -> list[SourceFunds]:
    """Committed/received/released/redeemed/settled per funding source, from postings."""
    rows = posted_by_source(campaign)
    out = []
    for s in campaign.funding_sources.order_by("order", "pk"):
        def g(kind: str, tx: str, sid: int = s.pk) -> int:
            return rows.get((sid, kind, tx), 0)
        sf = SourceFunds(source=s, committed=s.committed_fen)
        sf.received = -g(AccountKind.FUNDING_SOURCE, TxKind.RECEIVE_FUNDS)
        sf.released = g(AccountKind.RELEASE_POOL, TxKind.FUND_RELEASE)
        sf.returned = -g(AccountKind.RELEASE_POOL, TxKind.RELEASE_RETURN)
        sf.redeemed = (g(AccountKind.MERCHANT_PAYABLE, TxKind.REDEEM)
                       + g(AccountKind.MERCHANT_PAYABLE, TxKind.RETURN_BEFORE_SETTLEMENT))
        sf.settled = sum(v for (sid, kind, _), v in rows.items()
                         if sid == s.pk and kind == AccountKind.PAID_OUT)
        sf.available = sum(v for (sid, kind, _), v in rows.items()
                           if sid == s.pk and kind in (AccountKind.CAMPAIGN_POOL,
                                                       AccountKind.PERIOD_POOL))
        out.append(sf)
    return out


# --- the proposal for a release (R-SCHED-4, R-SCHED-7) --------------------------------------


@dataclass
class Proposal:
    release: Release
    amount_fen: int
    voucher_count: int
    rule: str
    inputs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def basis(self) -> dict[str, Any]:
        return {"rule": self.rule, "inputs": self.inputs, "notes": self.notes}


def previous_release(release: Release) -> Release | None:
    return (Release.objects.filter(period=release.period, number__lt=release.number,
                                   confirmed_at__isnull=False, cancelled_at__isnull=True)
            .order_by("-number").first())


def default_voucher_count(campaign: Campaign, amount_fen: int) -> int:
    """R-SCHED-7: amount ÷ expected subsidy per voucher, so each voucher can be honoured."""
    return max(1, amount_fen // campaign.expected_subsidy_fen) if amount_fen > 0 else 0


def propose(release: Release) -> Proposal:
    period = release.period
    campaign = period.campaign
    available = releasable_fen(campaign, period)
    if release.planned_amount_fen is not None:
        p = Proposal(release, release.planned_amount_fen, 0,
                     rule="方案规定的本批次金额（第一周发放资金为30万元）",
                     inputs={"方案金额": format_yuan(release.planned_amount_fen),
                             "已到位可投放": format_yuan(available)})
        if available < release.planned_amount_fen:
            p.notes.append("已到位资金不足方案金额：请先登记资金到位，或改为较小金额并说明理由。")
        p.voucher_count = default_voucher_count(campaign, p.amount_fen)
        return p
    prev = previous_release(release)
    last = redeemed_fen(prev) if prev else 0
    weeks_left = period.releases.filter(number__gte=release.number,
                                        cancelled_at__isnull=True).count() or 1
    even_share = available // weeks_left
    amount = min(available, max(last, even_share))
    amount -= amount % 100  # whole yuan
    p = Proposal(
        release, amount, default_voucher_count(campaign, amount),
        rule="建议金额 = min(可投放资金, max(上周核券金额, 可投放资金 ÷ 剩余批次数))，取整到元",
        inputs={
            "上周批次": str(prev) if prev else "无",
            "上周核券金额": format_yuan(last),
            "可投放资金": format_yuan(available),
            "剩余批次数（含本批）": weeks_left,
        },
    )
    if prev is not None and clock.now() < prev.expires_at:
        p.notes.append("上周批次尚未到期，核券金额可能还会增加。")
    if amount == 0:
        p.notes.append("没有可投放的已到位资金。")
    return p


# --- overview -------------------------------------------------------------------------------


@dataclass
class ReleaseRow:
    release: Release
    state: str
    label: str
    balance: int
    redeemed: int

    @property
    def claimed(self) -> int:
        if self.release.voucher_count is None:
            return 0
        return self.release.voucher_count - self.release.remaining_count


def release_rows(period: Period) -> list[ReleaseRow]:
    now = clock.now()
    rows = []
    for r in period.releases.order_by("number"):
        state, label = display_state(r, now)
        rows.append(ReleaseRow(r, state, label, release_balance(r), redeemed_fen(r)))
    return rows


def period_state(period: Period, now: datetime | None = None) -> str:
    now = now or clock.now()
    if period.starts_at is None:
        return "另行确定"
    if period.ended_early_at is not None:
        return "已提前结束（资金用完）"
    if now < period.starts_at:
        return "未开始"
    if period.ends_at and now >= period.ends_at:
        return "已结转" if period.carried_over_at else "已结束"
    return "进行中"


def next_confirmable(campaign: Campaign) -> Release | None:
    """The next release that needs a person's decision."""
    now = clock.now()
    return (Release.objects.filter(period__campaign=campaign, confirmed_at__isnull=True,
                                   cancelled_at__isnull=True, expires_at__gt=now,
                                   period__ended_early_at__isnull=True)
            .order_by("opens_at").first())
