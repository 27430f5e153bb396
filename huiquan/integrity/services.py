"""Integrity: the scan that stores signals, and market supervision's cases (R-INT-1..2,
R-ROLE-1: market supervision handles merchant integrity).

- ``scan``: every detector (huiquan.integrity.detectors) over one campaign, then one
  transaction that inserts new signals and updates changed ones by their dedup key: running it
  again changes nothing. A detector that fails is reported; the others are still stored.
- ``open_case`` (from a signal or a typed complaint), ``add_entry`` (a note, with or without an
  evidence image), ``decide_case`` (warning, suspension, disqualification, referral): one
  transaction and one audit entry each. A case is decided once: the row is locked and the
  update is conditional on it still being open, so two people deciding at once get one
  decision and one clear refusal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from huiquan.audit.services import record
from huiquan.core import clock, guards
from huiquan.core.errors import DomainError
from huiquan.core.locks import advisory, lock_one
from huiquan.core.roles import Role, require_role
from huiquan.integrity import detectors, files
from huiquan.integrity.errors import CaseError, IntegrityCode
from huiquan.integrity.models import (
    Case,
    CaseDecision,
    CaseEntry,
    CaseOrigin,
    CaseState,
    Signal,
)
from huiquan.merchants import selectors as merchant_selectors
from huiquan.merchants import services as merchant_services
from huiquan.redemptions import integrity_reads as sales
from huiquan.verification import integrity_reads as documents

log = logging.getLogger("huiquan.integrity")

CASE_ROLES = (Role.MARKET,)  # R-ROLE-1: market supervision — merchant integrity
VIEW_ROLES = (Role.MARKET, Role.BUREAU, Role.AUDITOR)  # the auditor reads, changes nothing
MAX_TEXT = 2000


@dataclass
class ScanReport:
    campaign: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = (f"{self.campaign}：诚信信号新增 {self.created} 条，更新 {self.updated} 条，"
                f"未变 {self.unchanged} 条")
        return text + "".join(f"；{f}" for f in self.failed)


def scan(*, campaign: Any, actor: Any = None) -> ScanReport:
    """Compute every signal of ``campaign`` and store them (R-INT-1). Reads first, outside any
    transaction; then one short transaction writes."""
    report = ScanReport(campaign=campaign.name)
    findings: list[detectors.Finding] = []
    for name, detect in detectors.DETECTORS.items():
        try:
            findings += detect(campaign)
        except Exception as exc:  # one detector's bug must not hide the others' signals
            log.exception("integrity detector %s failed", name)
            report.failed.append(f"{name} 失败：{exc}")
    if findings:
        detectors.with_shop_names(findings, merchant_selectors.legal_names(campaign.pk))
    _store(campaign=campaign, findings=findings, report=report, actor=actor)
    return report


@transaction.atomic(durable=True)
def _store(*, campaign: Any, findings: list[detectors.Finding], report: ScanReport,
           actor: Any) -> None:
    advisory("integrity.scan")  # two scans at once: the second waits, then finds nothing new
    now = clock.now()
    existing = {s.dedup_key: s for s in Signal.objects.filter(campaign=campaign)}
    new: list[Signal] = []
    changed: list[Signal] = []
    for f in {f.key: f for f in findings}.values():
        report.by_kind[f.kind] = report.by_kind.get(f.kind, 0) + 1
        signal = existing.get(f.key)
        if signal is None:
            new.append(Signal(campaign=campaign, kind=f.kind, merchant_id=f.merchant_id,
                              dedup_key=f.key, severity=f.severity, score=f.score,
                              summary=f.summary[:255], evidence=f.evidence,
                              first_seen_at=now, computed_at=now))
        elif (signal.severity, signal.score, signal.summary, signal.evidence) != (
                f.severity, f.score, f.summary[:255], f.evidence):
            signal.severity, signal.score, signal.summary = f.severity, f.score, f.summary[:255]
            signal.evidence, signal.computed_at = f.evidence, now
            changed.append(signal)
        else:
            report.unchanged += 1
    Signal.objects.bulk_create(new, batch_size=500)
    Signal.objects.bulk_update(changed, ["severity", "score", "summary", "evidence",
                                         "computed_at"], batch_size=500)
    report.created, report.updated = len(new), len(changed)
    if new or changed:  # a scan that finds nothing new leaves no entry (tick runs it each minute)
        record(actor=actor, action="integrity.scan", obj_type="campaign", obj_id=campaign.pk,
               summary=f"诚信扫描：新增 {len(new)} 条信号，更新 {len(changed)} 条",
               after={"created": sorted(s.dedup_key for s in new)[:200],
                      "updated": sorted(s.dedup_key for s in changed)[:200],
                      "failed": report.failed})


def _text(value: Any, *, required: str, limit: int = MAX_TEXT) -> str:
    """Free text as people wrote it (full-width punctuation kept: it is not an identifier),
    with runs of spaces and control characters folded, blank lines dropped."""
    lines = (" ".join("".join(ch for ch in line if ch.isprintable() or ch.isspace()).split())
             for line in str(value or "").splitlines())
    text = "\n".join(line for line in lines if line)
    text = text.strip()[:limit]
    if not text:
        raise CaseError(required, code=IntegrityCode.TEXT_REQUIRED)
    return text


def _case_audit(actor: Any, action: str, case: Case, summary: str, **after: Any) -> None:
    record(actor=actor, action=action, obj_type="supervision_case", obj_id=case.pk,
           summary=f"监管案件 #{case.pk}（商户 #{case.merchant_id}）：{summary}",
           after=after or None)


def _snapshot(signal: Signal) -> dict[str, Any]:
    return {"id": signal.pk, "kind": signal.kind, "kind_label": signal.get_kind_display(),
            "severity": signal.severity, "severity_label": signal.get_severity_display(),
            "score": signal.score, "summary": signal.summary,
            "evidence": signal.evidence, "computed_at": signal.computed_at.isoformat()}


@transaction.atomic(durable=True)
def open_case(*, actor: Any, campaign: Any, signal_id: int | None = None,
              merchant_id: int | None = None, complaint: str = "", title: str = "") -> Case:
    """Open a case on a shop: from a signal (its evidence is copied into the case, R-INT-2) or
    from a complaint typed in (which shop, what was said)."""
    require_role(actor, CASE_ROLES, action="立案调查")
    now = clock.now()
    if signal_id is not None:
        signal = Signal.objects.filter(pk=signal_id, campaign=campaign).first()
        if signal is None:
            raise CaseError(f"没有这个诚信信号（编号 {signal_id}）", code=IntegrityCode.SIGNAL_NOT_FOUND,
                            status=404)
        case = Case(campaign=campaign, merchant_id=signal.merchant_id, origin=CaseOrigin.SIGNAL,
                    signal=signal, signal_snapshot=_snapshot(signal),
                    title=_text(title or signal.summary, required="请填写案由", limit=255))
    else:
        merchant = (merchant_selectors.merchant_in_campaign(campaign.pk, merchant_id)
                    if merchant_id else None)
        if merchant is None:
            raise CaseError("请选择被投诉的商户（该商户不存在或不属于本活动）",
                            code=IntegrityCode.CASE_INVALID)
        text = _text(complaint, required="请填写投诉内容")
        case = Case(campaign=campaign, merchant=merchant, origin=CaseOrigin.COMPLAINT,
                    complaint=text, title=_text(title or text.splitlines()[0],
                                                required="请填写案由", limit=255))
    case.opened_at, case.opened_by = now, actor
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        existing = Case.objects.filter(signal=case.signal, state=CaseState.OPEN).first()
        raise CaseError(f"该信号已有调查中的案件 #{existing.pk if existing else '?'}",
                        code=IntegrityCode.CASE_ALREADY_OPEN, status=409) from exc
    _case_audit(actor, "integrity.case_open", case, f"立案：{case.title}", origin=case.origin,
                signal=signal_id)
    return case


def _case(campaign: Any, case_id: int) -> Case:
    case = Case.objects.filter(pk=case_id, campaign=campaign).first()
    if case is None:
        raise CaseError(f"没有这个案件（编号 {case_id}）：它不存在或不属于本活动",
                        code=IntegrityCode.CASE_NOT_FOUND, status=404)
    return case


@transaction.atomic(durable=True)
def add_entry(*, actor: Any, campaign: Any, case_id: int, text: str,
              upload: bytes | None = None) -> CaseEntry:
    """A note on the case, with an evidence image if one is given (checked by content). Notes
    may still be added after the decision (a reply from the authority a case went to)."""
    require_role(actor, CASE_ROLES, action="添加案件记录")
    case = _case(campaign, case_id)
    entry = CaseEntry(case=case, text=_text(text, required="请填写记录内容"),
                      written_at=clock.now(), author=actor)
    if upload is not None:
        checked = files.check_evidence(upload)
        entry.file.save(checked.content.name or "evidence", checked.content, save=False)
        entry.content_type, entry.size, entry.sha256 = (checked.content_type, checked.size,
                                                        checked.sha256)
    entry.save()
    _case_audit(actor, "integrity.case_entry", case, "添加记录" + ("和证据文件" if upload else ""),
                entry=entry.pk, sha256=entry.sha256 or None)
    return entry


def _frozen(merchant_id: int) -> dict[str, Any]:
    """What a suspension or disqualification holds back: the shop's completed, unpaid sales
    (settlement skips a suspended or disqualified shop) and their submissions' states."""
    unsettled = sales.unsettled_sales(merchant_id)
    return {"frozen_sales": unsettled.count, "frozen_subsidy_fen": unsettled.subsidy_fen,
            "frozen_redemption_ids": unsettled.redemption_ids,
            "submission_states": documents.submission_states(merchant_id,
                                                             unsettled.redemption_ids)}


def _already(case: Case) -> CaseError:
    when = clock.local(case.decided_at).strftime("%Y-%m-%d %H:%M") if case.decided_at else "此前"
    label = CaseDecision(case.decision).label if case.decision else "处理"
    return CaseError(f"案件 #{case.pk} 已于 {when} 作出「{label}」决定，不能再次决定",
                     code=IntegrityCode.CASE_ALREADY_DECIDED, status=409)


def before_decision_is_written(case: Case) -> None:
    """A seam for the race test: called between the check that the case is open and the write."""


@transaction.atomic(durable=True)
def decide_case(*, actor: Any, campaign: Any, case_id: int, decision: str, reason: str,
                referred_to: str = "") -> Case:
    """Decide a case once: a warning (recorded), a suspension (the till locks at once), a
    disqualification (发现一户取消一户, R-INT-1: final; the till locks and the shop's unpaid sales
    are frozen — recorded in the case), or a referral to the authorities (R-INT-2, recorded)."""
    require_role(actor, CASE_ROLES, action="作出处理决定")
    if decision not in CaseDecision.values:
        raise CaseError(code=IntegrityCode.DECISION_INVALID)
    reason = _text(reason, required="请写明处理理由", limit=500)
    referred_to = " ".join(str(referred_to or "").split())[:128]
    if decision == CaseDecision.REFERRAL and not referred_to:
        raise CaseError("移送有关部门时请写明移送到哪个部门", code=IntegrityCode.TEXT_REQUIRED)
    case = _case(campaign, case_id)
    if guards.enabled():
        case = lock_one(Case, case.pk)
    if case.state != CaseState.OPEN:
        raise _already(case)
    before_decision_is_written(case)
    merchant = merchant_selectors.merchant_in_campaign(campaign.pk, case.merchant_id)
    assert merchant is not None  # the case's own shop (PROTECT)
    why = f"监管案件 #{case.pk}：{reason}"
    outcome: dict[str, Any] = {"merchant_state_before": merchant.state}
    try:
        if decision == CaseDecision.SUSPENSION:
            merchant = merchant_services.suspend_within(merchant=merchant, actor=actor, reason=why)
            outcome |= {"till": "locked", **_frozen(merchant.pk)}
        elif decision == CaseDecision.DISQUALIFICATION:
            merchant = merchant_services.disqualify_within(merchant=merchant, actor=actor,
                                                           reason=why)
            outcome |= {"till": "locked", **_frozen(merchant.pk)}
    except DomainError as exc:
        if exc.status == 403:
            raise
        raise CaseError(f"不能作此处理：{exc.message}", code=IntegrityCode.DECISION_NOT_POSSIBLE,
                        status=409) from exc
    if decision == CaseDecision.REFERRAL:
        outcome["referred_to"] = referred_to
    outcome["merchant_state_after"] = merchant.state
    now = clock.now()
    rows = Case.objects.filter(pk=case.pk)
    if guards.enabled():
        rows = rows.filter(state=CaseState.OPEN)
    if rows.update(state=CaseState.DECIDED, decision=decision, decision_reason=reason,
                   referred_to=referred_to, outcome=outcome, decided_at=now,
                   decided_by=actor) != 1:
        raise _already(Case.objects.get(pk=case.pk))
    case.refresh_from_db()
    _case_audit(actor, "integrity.case_decide", case,
                f"决定：{case.get_decision_display()}（{reason}）", decision=decision,
                outcome=outcome)
    return case
