"""Writes for campaigns: load the campaign file, receive funds, confirm releases, and the
time-driven transitions (returns, early end, carry-over). Each is one transaction with its
audit entry (STYLE.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.db import transaction

from huiquan.audit.services import record
from huiquan.campaigns import selectors
from huiquan.campaigns.config import (
    CampaignDef,
    CampaignFileError,
    period_bounds,
    read_campaign_file,
    weekly_releases,
    yuan_to_fen,
)
from huiquan.campaigns.errors import (
    CampaignCode,
    CampaignError,
    FundsNotReceived,
    OverCommitted,
    ReasonRequired,
    ReleaseAlreadyConfirmed,
    ReleaseNotConfirmable,
)
from huiquan.campaigns.models import Campaign, FundingSource, Period, Release
from huiquan.core import clock, guards, sql
from huiquan.core.locks import as_busy, lock_one
from huiquan.core.money import MAX_FEN, format_yuan
from huiquan.core.roles import Role, require_role
from huiquan.ledger.models import AccountKind, TxKind
from huiquan.ledger.scopes import (
    CAMPAIGN_POOL,
    FUNDING_SOURCE,
    Scope,
    period_pool,
    release_pool,
)
from huiquan.ledger.services import (
    account_for,
    post,
    sweep,
    transfer,
)

log = logging.getLogger(__name__)

# Test-only hook: runs after the naive (unguarded) funds check, before the write.
_after_unguarded_check: Callable[[], None] | None = None


# --- loading the campaign file ----------------------------------------------------------------


@dataclass
class LoadResult:
    campaign: Campaign
    created: bool
    changes: list[str] = field(default_factory=list)


@transaction.atomic(durable=True)
def load_campaign(*, path: Path, actor: Any = None,
                  also: Callable[[Campaign], list[str]] | None = None) -> LoadResult:
    """Create the campaign from its file, or bring an existing one up to date.

    Loading the same file twice changes nothing. Committed amounts of an existing source and
    the schedule of a period that has started are never rewritten by a file: that would
    rewrite history; the file's author is told so. ``also``: what an app above campaigns
    derives from the file in the same transaction (the catalogue's kinds:
    ``catalog.services.load_campaign_file``); the changes it reports join the audit entry.
    """
    definition, sha = read_campaign_file(path)
    campaign = Campaign.objects.filter(slug=definition.campaign.slug).first()
    if campaign is not None and campaign.source_sha256 == sha:
        return LoadResult(campaign, created=False)
    created = campaign is None
    fields = dict(
        name=definition.campaign.name, title=definition.campaign.title,
        owner=definition.campaign.owner, operator=definition.campaign.operator,
        region=definition.campaign.region,
        subsidy_rate_percent=definition.subsidy.rate_percent,
        subsidy_cap_fen=definition.cap_fen, uses_per_person=definition.subsidy.uses_per_person,
        expected_subsidy_fen=definition.expected_subsidy_fen,
        config=definition.model_dump(mode="json", include={
            "campaign", "geofences", "categories", "merchants", "documents", "subsidy"}),
        source_file=path.name, source_sha256=sha, loaded_at=clock.now(),
    )
    before = None
    if campaign is None:
        campaign = Campaign.objects.create(slug=definition.campaign.slug, **fields)
    else:
        before = {"sha256": campaign.source_sha256}
        for key, value in fields.items():
            setattr(campaign, key, value)
        campaign.save()
    result = LoadResult(campaign, created)
    _load_sources(campaign, definition, result)
    _load_periods(campaign, definition, result)
    if also is not None:
        result.changes += also(campaign)
    record(actor=actor, action="campaign.load", obj_type="campaign", obj_id=campaign.pk,
           summary=f"载入活动文件 {path.name}（{'新建' if created else '更新'}）",
           before=before, after={"sha256": sha, "changes": result.changes})
    for index, source_def in enumerate(definition.funding_sources):
        if source_def.received_fen:
            source = campaign.funding_sources.get(code=source_def.code)
            already = _received(source)
            if already < source_def.received_fen:
                _book_receipt(campaign=campaign, source=source,
                              amount=source_def.received_fen - already, actor=actor,
                              reference=source_def.reference or f"活动文件 funding_sources[{index}]",
                              memo="活动文件记载的已到位资金")
                result.changes.append(f"{source.name} 到位 {format_yuan(source_def.received_fen)} 元")
    return result


def _load_sources(campaign: Campaign, d: CampaignDef, result: LoadResult) -> None:
    for order, s in enumerate(d.funding_sources):
        existing = campaign.funding_sources.filter(code=s.code).first()
        if existing is None:
            FundingSource.objects.create(campaign=campaign, code=s.code, name=s.name,
                                         committed_fen=s.committed_fen, order=order)
            result.changes.append(f"新增资金来源 {s.name}")
        elif existing.committed_fen != s.committed_fen:
            raise CampaignFileError(
                f"funding_sources[{order}].committed_yuan: 已载入的承诺金额为 "
                f"{format_yuan(existing.committed_fen)} 元，活动文件不能改写；请在后台登记变更"
            )
        elif existing.name != s.name:
            existing.name = s.name
            existing.save(update_fields=["name"])


def _load_periods(campaign: Campaign, d: CampaignDef, result: LoadResult) -> None:
    now = clock.now()
    for index, p in enumerate(d.periods):
        bounds = period_bounds(p)
        period = campaign.periods.filter(number=p.number).first()
        if period is None:
            period = Period.objects.create(
                campaign=campaign, number=p.number, name=p.name, note=p.note,
                starts_at=bounds[0] if bounds else None, ends_at=bounds[1] if bounds else None,
            )
            result.changes.append(f"新增{p.name}")
        else:
            new_start = bounds[0] if bounds else None
            new_end = bounds[1] if bounds else None
            if (period.starts_at, period.ends_at) != (new_start, new_end):
                if period.starts_at is not None and period.starts_at <= now:
                    raise CampaignFileError(f"periods[{index}]: {p.name} 已经开始，不能修改日期")
                period.starts_at, period.ends_at = new_start, new_end
                result.changes.append(f"{p.name} 日期更新")
            period.name, period.note = p.name, p.note
            period.save()
        if p.releases is None or period.releases.exists():
            continue
        first_amount = yuan_to_fen(p.releases.first_amount_yuan)
        for number, (opens, expires) in enumerate(weekly_releases(p), start=1):
            Release.objects.create(period=period, number=number, opens_at=opens,
                                   expires_at=expires,
                                   planned_amount_fen=first_amount if number == 1 else None)
        result.changes.append(f"{p.name} 生成 {period.releases.count()} 个每周批次")


# --- funds ------------------------------------------------------------------------------------


def _received(source: FundingSource) -> int:
    acc = account_for(campaign=source.campaign, scope=FUNDING_SOURCE,
                      source=source)
    return -acc.balance_fen


def _book_receipt(*, campaign: Campaign, source: FundingSource, amount: int, actor: Any,
                  reference: str, memo: str) -> None:
    src = account_for(campaign=campaign, scope=FUNDING_SOURCE, source=source)
    pool = account_for(campaign=campaign, scope=CAMPAIGN_POOL, source=source)
    tx = post(campaign=campaign, kind=TxKind.RECEIVE_FUNDS, lines=[(src, -amount), (pool, amount)],
              memo=memo, actor=actor, reference=reference)
    record(actor=actor, action="funds.receive", obj_type="funding_source", obj_id=source.pk,
           summary=f"{source.name} 资金到位 {format_yuan(amount)} 元",
           before={"received_fen": -src.balance_fen},
           after={"received_fen": -src.balance_fen + amount, "ledger_tx": tx.pk,
                  "reference": reference})


@transaction.atomic(durable=True)
def receive_funds(*, source: FundingSource, amount_fen: int, reference: str, actor: Any) -> None:
    """Record money arriving from a funding source (R-FUND-2: committed first, received later).

    Never more than the source committed in total.
    """
    require_role(actor, {Role.FINANCE, Role.BUREAU}, action="登记资金到位")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise CampaignError("到位金额必须是大于零的整数（分）", code=CampaignCode.AMOUNT_INVALID)
    if not reference.strip():
        raise CampaignError("请填写到账凭证号或文件号，便于审计追溯", code=CampaignCode.REFERENCE_REQUIRED)
    source = lock_one(FundingSource, source.pk)
    received = _received(source)
    if received + amount_fen > source.committed_fen:
        raise OverCommitted(
            f"{source.name} 承诺 {format_yuan(source.committed_fen)} 元，已到位 "
            f"{format_yuan(received)} 元，本次最多还能登记 "
            f"{format_yuan(source.committed_fen - received)} 元"
        )
    _book_receipt(campaign=source.campaign, source=source, amount=amount_fen, actor=actor,
                  reference=reference.strip(), memo="资金到位")


# --- releases ---------------------------------------------------------------------------------


def _shortfall_message(campaign: Campaign, amount: int, available: int) -> str:
    missing = [
        f"{sf.source.name} 尚有 {format_yuan(sf.not_received)} 元未到位"
        for sf in selectors.funds_by_source(campaign) if sf.not_received > 0
    ]
    text = (f"已到位资金不足：本批次需要 {format_yuan(amount)} 元，可投放的已到位资金只有 "
            f"{format_yuan(available)} 元。")
    if missing:
        text += "；".join(missing) + "。请先登记资金到位（R-FUND-2）。"
    return text


def confirm_release(*, release: Release, amount_fen: int, voucher_count: int | None = None,
                    reason: str = "", actor: Any) -> Release:
    """The bureau decides a release's amount and voucher count (R-SCHED-4, R-SCHED-7).

    Funds the release from received money only (R-FUND-2): the money moves from the period's
    pool (topped up from the campaign pool) into the release's pool, in this transaction.
    A second confirmation is refused. A change from the proposal needs a reason.
    """
    if not guards.enabled():
        # The naive shape race tests must catch: check the funds, then write later.
        available = selectors.releasable_fen(release.period.campaign, release.period)
        if _after_unguarded_check is not None:
            _after_unguarded_check()
        if available < amount_fen:
            raise FundsNotReceived(_shortfall_message(release.period.campaign, amount_fen,
                                                      available))
    return _confirm_release(release=release, amount_fen=amount_fen,
                            voucher_count=voucher_count, reason=reason, actor=actor)


@transaction.atomic(durable=True)
def _confirm_release(*, release: Release, amount_fen: int, voucher_count: int | None,
                     reason: str, actor: Any) -> Release:
    require_role(actor, {Role.BUREAU}, action="确认批次投放")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise CampaignError("投放金额必须是大于零的整数（分）", code=CampaignCode.AMOUNT_INVALID)
    if amount_fen > MAX_FEN:
        raise CampaignError("投放金额过大", code=CampaignCode.AMOUNT_INVALID)
    release = lock_one(Release, release.pk)
    period = release.period
    campaign = period.campaign
    now = clock.now()
    if release.confirmed_at is not None:
        raise ReleaseAlreadyConfirmed(
            f"{release} 已于 {clock.local(release.confirmed_at):%Y-%m-%d %H:%M} 由 "
            f"{release.confirmed_by} 确认为 {format_yuan(release.amount_fen or 0)} 元，不能再次确认"
        )
    if release.cancelled_at is not None:
        raise ReleaseNotConfirmable(f"{release} 已取消：{release.cancel_reason}")
    if now >= release.expires_at:
        raise ReleaseNotConfirmable(f"{release} 的有效期已过，不能再投放")
    if period.ended_early_at is not None:
        raise ReleaseNotConfirmable(f"{period} 已提前结束（资金用完），不再发放")
    _settle_period_returns(period, now)
    proposal = selectors.propose(release)
    count = voucher_count if voucher_count is not None else selectors.default_voucher_count(
        campaign, amount_fen)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000_000:
        raise CampaignError("券数量必须是 1 到 10,000,000 之间的整数", code=CampaignCode.COUNT_INVALID)
    changed = (amount_fen != proposal.amount_fen
               or count != selectors.default_voucher_count(campaign, amount_fen))
    if changed and not reason.strip():
        raise ReasonRequired(
            f"系统建议 {format_yuan(proposal.amount_fen)} 元、"
            f"{selectors.default_voucher_count(campaign, amount_fen)} 张；"
            "您的金额或张数与建议不同，请填写调整理由（将记入审计日志）"
        )
    available = selectors.releasable_fen(campaign, period)
    if available < amount_fen and guards.enabled():
        raise FundsNotReceived(_shortfall_message(campaign, amount_fen, available))
    _fund_release(release, amount_fen, actor)
    release.amount_fen = amount_fen
    release.voucher_count = count
    release.remaining_count = count
    release.proposed_amount_fen = proposal.amount_fen
    release.proposal_basis = proposal.basis()
    release.decision_reason = reason.strip()[:255]
    release.confirmed_at = now
    release.confirmed_by = actor
    release.save()
    record(actor=actor, action="release.confirm", obj_type="release", obj_id=release.pk,
           summary=f"确认{release}：{format_yuan(amount_fen)} 元，{count} 张",
           before={"proposed_fen": proposal.amount_fen, "basis": proposal.basis()},
           after={"amount_fen": amount_fen, "voucher_count": count,
                  "reason": release.decision_reason})
    return release


def _fund_release(release: Release, amount: int, actor: Any) -> None:
    period = release.period
    campaign = period.campaign
    in_period = selectors.pool_total(campaign, AccountKind.PERIOD_POOL, period=period)
    if in_period < amount:
        transfer(campaign=campaign, kind=TxKind.FUND_PERIOD, source_scope=CAMPAIGN_POOL,
                 dest_scope=period_pool(period), amount=amount - in_period, actor=actor,
                 sources=selectors.funding_sources(campaign), period=period, memo=f"分配至{period}",
                 shortfall_message=lambda need, avail: _shortfall_message(
                     campaign, amount, in_period + sum(avail.values())))
    transfer(campaign=campaign, kind=TxKind.FUND_RELEASE, source_scope=period_pool(period),
             dest_scope=release_pool(release), amount=amount, actor=actor, period=period,
             sources=selectors.funding_sources(campaign), release=release,
             memo=f"{release} 投放")


# --- money coming back -------------------------------------------------------------------------


def pool_open_for_returns(release: Release) -> Scope:
    """Where money coming back for ``release`` goes (a failed payment's reservation, a return
    before settlement): the pool open for new releases at this moment (R-SCHED-6, issue 12).

    The release's own pool while it runs; once it has returned its balance, its period's pool
    while the period has not been carried over (carry-over will take it along); after carry-over,
    the next period's pool (following further carry-overs), or the campaign pool when there is
    no next period. The caller holds the release's row lock (the release cannot return its
    balance meanwhile); each period looked at is locked here (FOR NO KEY UPDATE), so carry-over,
    which updates that row first, cannot run between this choice and the caller's posting."""
    if release.returned_at is None:
        return release_pool(release)
    period = lock_one(Period, release.period_id, no_key=True)
    while period.carried_over_at is not None:
        following = (Period.objects.filter(campaign_id=period.campaign_id,
                                           number=period.number + 1)
                     .values_list("pk", flat=True).first())
        if following is None:
            return CAMPAIGN_POOL
        period = lock_one(Period, following, no_key=True)
    return period_pool(period)


# --- transitions driven by time ---------------------------------------------------------------


def _return_release(release: Release, now: Any) -> int | None:
    """R-SCHED-6: an expired release's unspent money goes back to its period, once.

    Returns the amount returned, or None when another run already did it."""
    if not Release.objects.filter(pk=release.pk, returned_at__isnull=True,
                                  confirmed_at__isnull=False, expires_at__lte=now
                                  ).update(returned_at=now):
        return None
    tx = sweep(campaign=release.period.campaign, kind=TxKind.RELEASE_RETURN,
               source_scope=release_pool(release), dest_scope=period_pool(release.period),
               sources=selectors.funding_sources(release.period.campaign), period=release.period,
               release=release, dedupe_key=f"release-return:{release.pk}",
               memo=f"{release} 到期，余额退回{release.period}")
    amount = sum(p.amount_fen for p in tx.postings.all() if p.amount_fen > 0) if tx else 0
    record(actor=None, action="release.return", obj_type="release", obj_id=release.pk,
           summary=f"{release} 到期，余额 {format_yuan(amount)} 元退回{release.period}",
           after={"returned_fen": amount, "unclaimed_vouchers": release.remaining_count})
    return amount


def _settle_period_returns(period: Period, now: Any) -> None:
    for release in period.releases.filter(confirmed_at__isnull=False, returned_at__isnull=True,
                                          expires_at__lte=now):
        _return_release(release, now)


def _funds_used_up(period: Period) -> bool:
    campaign = period.campaign
    if any(sf.not_received for sf in selectors.funds_by_source(campaign)):
        return False
    live = (selectors.pool_total(campaign, AccountKind.PERIOD_POOL, period=period)
            + selectors.pool_total(campaign, AccountKind.CAMPAIGN_POOL)
            + selectors.pool_total(campaign, AccountKind.RELEASE_POOL, release__period=period)
            + selectors.pool_total(campaign, AccountKind.RESERVED, release__period=period))
    return live == 0 and period.releases.filter(confirmed_at__isnull=False).exists()


def _end_early(period: Period, now: Any) -> bool:
    """R-SCHED-5: when a running period's money is all used, it ends now."""
    if not Period.objects.filter(pk=period.pk, ended_early_at__isnull=True).update(
            ended_early_at=now):
        return False
    cancelled = period.releases.filter(confirmed_at__isnull=True, cancelled_at__isnull=True)
    numbers = list(cancelled.values_list("number", flat=True))
    cancelled.update(cancelled_at=now, cancel_reason="周期资金已用完，提前结束（R-SCHED-5）")
    record(actor=None, action="period.end_early", obj_type="period", obj_id=period.pk,
           summary=f"{period} 资金已用完，提前结束；取消第 {numbers} 批",
           after={"ended_early_at": now, "cancelled_releases": numbers})
    return True


def _end_if_used_up(period: Period, now: Any) -> bool:
    return _funds_used_up(period) and _end_early(period, now)


def _carry_over(period: Period, now: Any) -> int | None:
    """R-SCHED-6: an ended period's leftover money moves to the next period — or, after the
    last period, back to the campaign pool — once. A carried-over period's pool stays empty:
    money coming back later goes on to where this went (``pool_open_for_returns``).

    Returns the amount carried, or None when another run already did it."""
    if not Period.objects.filter(pk=period.pk, carried_over_at__isnull=True).update(
            carried_over_at=now):
        return None
    nxt = period.campaign.periods.filter(number=period.number + 1).first()
    where = str(nxt) if nxt is not None else "活动资金池（无下一周期）"
    tx = sweep(campaign=period.campaign, kind=TxKind.CARRY_OVER,
               source_scope=period_pool(period),
               dest_scope=period_pool(nxt) if nxt is not None else CAMPAIGN_POOL,
               sources=selectors.funding_sources(period.campaign), period=nxt or period,
               dedupe_key=f"carry-over:{period.pk}",
               memo=f"{period} 结余结转至{where}")
    amount = sum(p.amount_fen for p in tx.postings.all() if p.amount_fen > 0) if tx else 0
    record(actor=None, action="period.carry_over", obj_type="period", obj_id=period.pk,
           summary=f"{period} 结束，结余 {format_yuan(amount)} 元结转至{where}",
           after={"carried_fen": amount, "to_period": nxt.pk if nxt else None})
    return amount


def _retry_later(what: str, transition: Callable[[], Any]) -> Any:
    """Run one transition in its own transaction. A deadlock or lock timeout (BUSY) leaves it
    for the next tick — every transition is guarded, so trying again is safe — and the others
    still run."""
    try:
        with transaction.atomic(durable=True):
            return transition()
    except Exception as exc:
        if as_busy(exc) is None:
            raise
        log.warning("tick：%s 暂时繁忙（%s），下次再试", what, exc)
        return None


def perform_due_transitions(*, campaign: Campaign) -> list[str]:
    """Do every transition whose time has come; safe to run twice or concurrently.

    Each transition is its own small transaction, guarded by a conditional update on the row
    that records it, so a second run (or a second worker) finds nothing to do; one that finds
    its rows busy is left for the next run.
    """
    done: list[str] = []
    now = clock.now()
    for release in Release.objects.filter(period__campaign=campaign, confirmed_at__isnull=False,
                                          returned_at__isnull=True, expires_at__lte=now):
        returned = _retry_later(f"{release} 到期退回", partial(_return_release, release, now))
        if returned is not None:
            done.append(f"{release} 到期，退回 {format_yuan(returned)} 元")
    for period in campaign.periods.filter(starts_at__lte=now, ended_early_at__isnull=True,
                                          carried_over_at__isnull=True):
        if period.ends_at and now >= period.ends_at:
            continue
        if _retry_later(f"{period} 提前结束", partial(_end_if_used_up, period, now)):
            done.append(f"{period} 资金用完，提前结束")
    for period in campaign.periods.filter(carried_over_at__isnull=True,
                                          starts_at__isnull=False):
        end = period.effective_end()
        if end is None or now < end:
            continue
        if period.releases.filter(confirmed_at__isnull=False, returned_at__isnull=True).exists():
            continue  # wait until every release has returned its money
        carried = _retry_later(f"{period} 结转", partial(_carry_over, period, now))
        if carried is not None:
            done.append(f"{period} 结转 {format_yuan(carried)} 元")
    return done


# --- the claim's decrement (invariant 4) ----------------------------------------------------

# Invariant 4's guard: one voucher only while one is left and the window is open.
_TAKE_ONE_SQL = (
    "UPDATE campaigns_release SET remaining_count = remaining_count - 1 "
    "WHERE id = %s AND remaining_count > 0 AND opens_at <= %s AND expires_at > %s "
    "AND confirmed_at IS NOT NULL AND cancelled_at IS NULL"
)


def take_one_voucher(*, release_id: int, now: datetime,
                     naive_remaining: int | None = None) -> bool:
    """Take one voucher from the release's remaining count inside the caller's transaction
    (vouchers.services.claim_voucher); False when none is left or the window is closed. A
    conditional update in plain SQL: it is the last statement of every claim, and the release
    row's lock is held from here to COMMIT only. With the guards off (race tests) the naive
    shape: write ``naive_remaining - 1``, read earlier by the caller."""
    if guards.enabled():
        return sql.execute(_TAKE_ONE_SQL, [release_id, sql.db_time(now), sql.db_time(now)]) > 0
    # built only here: inside the write lock every microsecond is queued for
    window = Release.objects.filter(pk=release_id, opens_at__lte=now, expires_at__gt=now,
                                    confirmed_at__isnull=False, cancelled_at__isnull=True)
    current = naive_remaining or 0
    return bool(window.update(remaining_count=max(current - 1, 0))) if current > 0 else False
