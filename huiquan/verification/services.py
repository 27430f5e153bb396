"""Writes of claim documents (R-DOC-1..3): the merchant's draft, its documents and its sending;
the automatic checks' results; the reviewers' decisions (R-DOC-2). Each is one transaction with
its audit entry; a state change is a conditional update, so two people acting at once get one
change and one clear refusal.

States: draft → (send) checking → (the checks task) in_review → approved | rejected |
correction (the merchant fixes and sends again: a new version) | second_review (four-eyes:
a subsidy above the campaign's threshold needs a second, different reviewer) → approved.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q

from huiquan.audit import services as audit
from huiquan.core import clock, guards
from huiquan.core.money import parse_yuan
from huiquan.core.roles import Role, require_role
from huiquan.merchants.selectors import merchant_of
from huiquan.redemptions import selectors as sales
from huiquan.redemptions import verification_reads
from huiquan.redemptions.models import RedemptionState
from huiquan.verification import files, storage
from huiquan.verification.errors import VerificationCode, refused
from huiquan.verification.facts import parse as parse_facts
from huiquan.verification.models import (
    EDITABLE_STATES,
    KIND_FORMATS,
    KIND_MAX_FILES,
    CheckOutcome,
    CheckResult,
    Decision,
    Document,
    DocumentKind,
    ReviewDecision,
    Submission,
    SubmissionState,
)

MERCHANT_ROLES = (Role.MERCHANT,)
REVIEW_ROLES = (Role.REVIEWER,)
DEFAULT_DUE_DAYS = 15  # R-DOC-3
DEFAULT_FOUR_EYES_FEN = 100_000  # 1,000 yuan of subsidy, unless the campaign file says otherwise
CORRECTION_DAYS = 7  # time given to fix what a reviewer asked, if later than the deadline


# --- the rules' numbers, from the campaign file ------------------------------------------------

def due_at_for(sale: Any) -> datetime:
    """R-DOC-3: 15 days (the campaign file's ``due_days_after_round``) after the end of the
    sale's round — its release's vouchers' expiry."""
    days = int(sale.campaign.config.get("documents", {}).get("due_days_after_round")
               or DEFAULT_DUE_DAYS)
    return clock.local(sale.release.expires_at) + timedelta(days=days)


def four_eyes_above_fen(campaign: Any) -> int:
    """A subsidy above this needs a second reviewer (``four_eyes_above_subsidy_yuan``)."""
    value = campaign.config.get("documents", {}).get("four_eyes_above_subsidy_yuan")
    return DEFAULT_FOUR_EYES_FEN if value is None else int(parse_yuan(value, allow_zero=True))


def is_appliance_sale(sale: Any) -> bool:
    """A sale with a line sold by barcode (an appliance on the register, R-CAT-1): its energy
    label photo and 13-digit code are required (R-DOC-1 item 6)."""
    return any(line.gtin for line in sale.lines.all())


# --- the merchant's side -----------------------------------------------------------------------

def _merchant(actor: Any) -> Any:
    require_role(actor, MERCHANT_ROLES, action="报备资料")
    merchant = merchant_of(actor)
    if merchant is None:
        raise refused(VerificationCode.SUBMISSION_NOT_FOUND, "您的账号没有关联商户")
    return merchant


def _own(actor: Any, submission_id: int, *, lock: bool = True) -> Submission:
    """The merchant's own submission (another shop's is simply not found), locked."""
    merchant = _merchant(actor)
    rows = Submission.objects.filter(pk=submission_id, merchant_id=merchant.pk)
    found = (rows.select_for_update() if lock else rows).first()
    if found is None:
        raise refused(VerificationCode.SUBMISSION_NOT_FOUND)
    return found


def _late(submission: Submission, now: datetime) -> bool:
    return now > submission.due_at


def _editable(submission: Submission) -> None:
    if submission.state not in EDITABLE_STATES:
        raise refused(VerificationCode.SUBMISSION_LOCKED,
                      f"报备资料当前状态为「{submission.get_state_display()}」，不能再修改"
                      + ("（已审核通过的资料不能修改）" if submission.state
                         == SubmissionState.APPROVED else ""))
    now = clock.now()
    if _late(submission, now):
        raise refused(VerificationCode.SUBMISSION_LATE, _late_message(submission))


def _late_message(submission: Submission) -> str:
    due = clock.local(submission.due_at).strftime("%Y-%m-%d %H:%M")
    return (f"已超过报备截止时间 {due}（每轮活动结束后 15 天内报备，R-DOC-3），"
            "不能再提交：请联系平台")


@transaction.atomic(durable=True)
def open_submission(*, actor: Any, redemption_id: int) -> Submission:
    """The draft for one of the merchant's completed sales (the same one when it exists);
    another shop's sale is not found, a late one refused with its deadline."""
    merchant = _merchant(actor)
    sale = sales.for_merchant(merchant, redemption_id)  # another shop's: not found
    existing = Submission.objects.filter(redemption_id=sale.pk).first()
    if existing is not None:
        return existing
    if sale.state != RedemptionState.COMPLETED:
        raise refused(VerificationCode.SALE_NOT_COMPLETED)
    now = clock.now()
    due = due_at_for(sale)
    if now > due:
        raise refused(VerificationCode.SUBMISSION_LATE,
                      f"已超过报备截止时间 {due.strftime('%Y-%m-%d %H:%M')}（R-DOC-3），"
                      "不能再提交：请联系平台")
    submission = Submission.objects.create(
        redemption_id=sale.pk, merchant_id=merchant.pk, campaign_id=sale.campaign_id,
        due_at=due, created_at=now, phone=sale.consumer.phone)
    audit.record(actor=actor, action="submission.open", obj_type="submission",
                 obj_id=submission.pk, summary=f"开始报备核销 #{sale.pk} 的资料",
                 after={"redemption": sale.pk, "due_at": due.isoformat()})
    return submission


@transaction.atomic(durable=True)
def save_facts(*, actor: Any, submission_id: int, raw: dict[str, Any]) -> Submission:
    """Save what was typed (a draft may be incomplete; what is typed must be well-formed)."""
    submission = _own(actor, submission_id)
    _editable(submission)
    values = parse_facts(raw)
    before = {k: str(getattr(submission, k)) for k in values}
    for field, value in values.items():
        setattr(submission, field, value)
    submission.save(update_fields=list(values))
    audit.record(actor=actor, action="submission.save", obj_type="submission",
                 obj_id=submission.pk, summary="保存报备资料（草稿）", before=before,
                 after={k: str(v) for k, v in values.items()})
    return submission


def add_document(*, actor: Any, submission_id: int, kind: str, name: str,
                 data: bytes) -> Document:
    """Check the file by its content (files.check_upload), store it on the "documents" storage
    and record it. A kind that takes one file replaces the previous one (kept in the history)."""
    if kind not in DocumentKind.values:
        raise refused(VerificationCode.DOCUMENT_INVALID, "没有这种资料")
    _own(actor, submission_id, lock=False)  # the role and the shop, before any work
    checked = files.check_upload(data, allowed=KIND_FORMATS[kind])
    stored = storage.documents().save(
        f"submissions/{submission_id}/{secrets.token_hex(12)}.{checked.extension}",
        ContentFile(checked.data))
    try:
        return _record_document(actor=actor, submission_id=submission_id, kind=kind,
                                name=name, stored=stored, checked=checked)
    except BaseException:
        storage.documents().delete(stored)  # nothing half-written: no row, no file
        raise


@transaction.atomic(durable=True)
def _record_document(*, actor: Any, submission_id: int, kind: str, name: str, stored: str,
                     checked: files.CheckedFile) -> Document:
    submission = _own(actor, submission_id)
    _editable(submission)
    now = clock.now()
    current = Document.objects.filter(submission=submission, kind=kind, removed_at__isnull=True)
    limit = KIND_MAX_FILES.get(kind, 1)
    if limit == 1:
        current.update(removed_at=now)
    elif current.count() >= limit:
        raise refused(VerificationCode.DOCUMENT_INVALID,
                      f"「{DocumentKind(kind).label}」最多 {limit} 个文件：请先删除一个")
    document = Document.objects.create(
        submission=submission, version=submission.version + 1, kind=kind, file=stored,
        content_type=checked.content_type, size=len(checked.data), sha256=checked.sha256,
        original_name=" ".join(str(name).split())[:128], uploaded_at=now, uploaded_by=actor)
    audit.record(actor=actor, action="submission.document", obj_type="submission",
                 obj_id=submission.pk, summary=f"上传{DocumentKind(kind).label}",
                 after={"document": document.pk, "kind": kind, "sha256": checked.sha256,
                        "size": len(checked.data)})
    return document


@transaction.atomic(durable=True)
def remove_document(*, actor: Any, submission_id: int, document_id: int) -> None:
    """Take a file out of the draft; it stays in the history (never deleted)."""
    submission = _own(actor, submission_id)
    _editable(submission)
    done = Document.objects.filter(pk=document_id, submission=submission,
                                   removed_at__isnull=True).update(removed_at=clock.now())
    if done:
        audit.record(actor=actor, action="submission.document_removed", obj_type="submission",
                     obj_id=submission.pk, summary="删除一个报备文件",
                     after={"document": document_id})


def current_documents(submission: Submission) -> list[Document]:
    return list(Document.objects.filter(submission=submission, removed_at__isnull=True)
                .order_by("kind", "pk"))


def missing_items(submission: Submission, sale: Any) -> list[str]:
    """What sending still needs (R-DOC-1's seven items), in words."""
    appliance = is_appliance_sale(sale)
    missing = []
    facts = [("phone", "消费者手机号"), ("invoice_number", "发票号码"), ("invoice_date", "开票日期"),
             ("invoice_buyer_name", "发票购买方"), ("invoice_amount_fen", "发票金额"),
             ("payment_amount_fen", "付款凭证金额")]
    if appliance:
        facts.append(("energy_label_gtin", "能效标识国标码（13 位）"))
    missing += [label for field, label in facts if getattr(submission, field) in ("", None)]
    kinds = {d.kind for d in current_documents(submission)}
    for kind in DocumentKind:
        if kind == DocumentKind.ENERGY_LABEL and not appliance:
            continue
        if kind not in kinds:
            missing.append(kind.label)
    return missing


@transaction.atomic(durable=True)
def send_submission(*, actor: Any, submission_id: int) -> Submission:
    """Send the draft (or the correction) for checking: complete, on time, the phone the sale's.
    A new version; the checks run in the background worker once this commits."""
    submission = _own(actor, submission_id)
    _editable(submission)
    sale = verification_reads.sale_for_documents(submission.redemption_id)
    missing = missing_items(submission, sale)
    if missing:
        raise refused(VerificationCode.SUBMISSION_INCOMPLETE,
                      "报备资料不完整，还缺：" + "、".join(missing))
    if submission.phone != sale.consumer.phone:
        raise refused(VerificationCode.FACT_INVALID,
                      "消费者手机号与核销时用券的手机号不一致（R-DOC-1 第 2 项）：请核对")
    now = clock.now()
    version = submission.version + 1
    sent = Submission.objects.filter(pk=submission.pk, state__in=EDITABLE_STATES,
                                     version=submission.version).update(
        state=SubmissionState.CHECKING, version=version, submitted_at=now)
    if sent != 1:
        raise refused(VerificationCode.SUBMISSION_LOCKED)
    Document.objects.filter(submission=submission, removed_at__isnull=True).update(version=version)
    audit.record(actor=actor, action="submission.send", obj_type="submission",
                 obj_id=submission.pk, summary=f"提交报备资料（第 {version} 次）",
                 after={"version": version})
    transaction.on_commit(partial(enqueue_checks, submission.pk, version))
    submission.refresh_from_db()
    return submission


def enqueue_checks(submission_id: int, version: int) -> None:
    """The slow checks go to the worker (django-tasks); the task is idempotent."""
    from huiquan.verification.tasks import check_submission

    check_submission.enqueue(submission_id=submission_id, version=version)


STALE_CHECKING = timedelta(minutes=10)
LOST_TASK = timedelta(minutes=30)  # a check takes seconds: "running" this long, its worker died


def requeue_stale_checks() -> int:
    """``huiquan tick``: a version still "checking" ten minutes after sending whose task is
    gone (lost with a dead worker, or never enqueued) is enqueued again. Idempotent: a task
    waiting in the queue, or running for less than ``LOST_TASK``, is left to finish."""
    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from huiquan.verification.tasks import check_submission

    stale = list(Submission.objects.filter(state=SubmissionState.CHECKING,
                                           submitted_at__lt=clock.now() - STALE_CHECKING)
                 .values_list("pk", "version"))
    if not stale:
        return 0
    live = DBTaskResult.objects.filter(task_path=check_submission.module_path).filter(
        Q(status=TaskResultStatus.READY)
        | Q(status=TaskResultStatus.RUNNING, started_at__gte=timezone.now() - LOST_TASK))
    waiting = {(row.get("kwargs", {}).get("submission_id"), row.get("kwargs", {}).get("version"))
               for row in live.values_list("args_kwargs", flat=True) if isinstance(row, dict)}
    again = [(pk, version) for pk, version in stale if (pk, version) not in waiting]
    for pk, version in again:
        enqueue_checks(pk, version)
    return len(again)


# --- the checks' results -----------------------------------------------------------------------

@transaction.atomic(durable=True)
def record_checks(*, submission_id: int, version: int, results: list[Any],
                  phashes: dict[int, str]) -> bool:
    """Store one version's check results and move it to review. Nothing happens when the
    submission moved on (another version was sent, or it was already recorded)."""
    moved = Submission.objects.filter(pk=submission_id, version=version,
                                      state=SubmissionState.CHECKING).update(
        state=SubmissionState.IN_REVIEW)
    if moved != 1:
        return False
    now = clock.now()
    CheckResult.objects.filter(submission_id=submission_id, version=version).delete()
    CheckResult.objects.bulk_create([
        CheckResult(submission_id=submission_id, version=version, rule=r.rule,
                    outcome=r.outcome, evidence=r.evidence, checked_at=now) for r in results])
    for document_id, phash in phashes.items():
        Document.objects.filter(pk=document_id).update(phash=phash)
    failed = [r.rule for r in results if r.outcome == CheckOutcome.FAIL]
    audit.record(actor=None, action="submission.checked", obj_type="submission",
                 obj_id=submission_id, summary=f"自动核验完成（第 {version} 次）："
                 + (f"{len(failed)} 项不通过" if failed else "无不通过项"),
                 after={"version": version, "failed": failed})
    return True


# --- the reviewers' side (R-DOC-2) -------------------------------------------------------------

def _for_review(submission_id: int) -> Submission:
    """The submission, its row locked until COMMIT: a second reviewer waits, then sees the
    first one's decision. With the guards off (race tests) it is read without the lock."""
    rows = Submission.objects.filter(pk=submission_id).select_related("redemption")
    if guards.enabled():
        rows = rows.select_for_update()
    found = rows.first()
    if found is None:
        raise refused(VerificationCode.SUBMISSION_NOT_FOUND)
    return found


def before_decision_is_written(submission: Submission) -> None:
    """A seam for the race test: called between a decision's checks and its write."""


def _move(submission: Submission, expected: tuple[str, ...], **changes: Any) -> None:
    """The decision's write, conditional on the state and version it was checked against.
    With the guards off (race tests) it is not: the naive read-then-write."""
    before_decision_is_written(submission)
    rows = Submission.objects.filter(pk=submission.pk)
    if guards.enabled():
        rows = rows.filter(version=submission.version, state__in=expected)
    done = rows.update(**changes)
    if done != 1:
        raise refused(VerificationCode.REVIEW_STATE,
                      "这份报备资料刚被处理过或状态已变化：请刷新页面查看")


def _decide(submission: Submission, actor: Any, decision: str, reason: str = "") -> None:
    ReviewDecision.objects.create(submission=submission, version=submission.version,
                                  reviewer=actor, decision=decision, reason=reason,
                                  decided_at=clock.now())
    audit.record(actor=actor, action=f"submission.{decision}", obj_type="submission",
                 obj_id=submission.pk, summary=f"{Decision(decision).label}：报备 #{submission.pk}"
                 + (f"（{reason}）" if reason else ""),
                 after={"version": submission.version, "decision": decision, "reason": reason})


REVIEWABLE = (SubmissionState.IN_REVIEW, SubmissionState.SECOND_REVIEW)


def _as_seen(submission: Submission, seen: tuple[str, int] | None) -> None:
    """The page the reviewer decided on showed this state and version: if someone decided in
    between, the click is refused rather than read as another decision (a second "审核通过"
    must not become the four-eyes confirmation unawares)."""
    if seen is not None and seen != (submission.state, submission.version):
        raise refused(VerificationCode.REVIEW_STATE,
                      "这份报备资料刚被其他审核人员处理过或商户重新提交了：请刷新页面查看后再操作")


@transaction.atomic(durable=True)
def approve_submission(*, actor: Any, submission_id: int,
                       seen: tuple[str, int] | None = None) -> Submission:
    """Approve (R-DOC-2). Refused while an automatic check fails. Above the campaign's
    four-eyes amount the first approval waits for a second, different reviewer; that second
    approval is the confirmation that makes it payable. ``seen``: (state, version) on the
    reviewer's page."""
    require_role(actor, REVIEW_ROLES, action="审核报备资料")
    submission = _for_review(submission_id)
    _as_seen(submission, seen)
    if submission.state not in REVIEWABLE:
        raise refused(VerificationCode.REVIEW_STATE,
                      f"当前状态为「{submission.get_state_display()}」，不能审核通过")
    if CheckResult.objects.filter(submission=submission, version=submission.version,
                                  outcome=CheckOutcome.FAIL).exists():
        raise refused(VerificationCode.CHECKS_NOT_PASSED)
    now = clock.now()
    if submission.state == SubmissionState.SECOND_REVIEW:
        first = (ReviewDecision.objects.filter(submission=submission, version=submission.version,
                                               decision=Decision.APPROVE)
                 .order_by("-decided_at", "-pk").first())
        if first is not None and first.reviewer_id == actor.pk:
            raise refused(VerificationCode.SECOND_REVIEWER_REQUIRED)
        _move(submission, (SubmissionState.SECOND_REVIEW,), state=SubmissionState.APPROVED,
              decided_at=now, approved_at=now)
        _decide(submission, actor, Decision.CONFIRM)
    elif submission.redemption.subsidy_fen > four_eyes_above_fen(submission.campaign):
        _move(submission, (SubmissionState.IN_REVIEW,), state=SubmissionState.SECOND_REVIEW,
              decided_at=now)
        _decide(submission, actor, Decision.APPROVE)
    else:
        _move(submission, (SubmissionState.IN_REVIEW,), state=SubmissionState.APPROVED,
              decided_at=now, approved_at=now)
        _decide(submission, actor, Decision.APPROVE)
    submission.refresh_from_db()
    return submission


def _reason(reason: str) -> str:
    text = " ".join(str(reason or "").split())[:255]
    if not text:
        raise refused(VerificationCode.DECISION_REASON_REQUIRED)
    return text


@transaction.atomic(durable=True)
def reject_submission(*, actor: Any, submission_id: int, reason: str,
                      seen: tuple[str, int] | None = None) -> Submission:
    """Not approved (R-DOC-2): the sale is not settled. The reason is shown to the merchant."""
    require_role(actor, REVIEW_ROLES, action="审核报备资料")
    text = _reason(reason)
    submission = _for_review(submission_id)
    _as_seen(submission, seen)
    _move(submission, REVIEWABLE, state=SubmissionState.REJECTED, decided_at=clock.now())
    _decide(submission, actor, Decision.REJECT, text)
    submission.refresh_from_db()
    return submission


@transaction.atomic(durable=True)
def ask_correction(*, actor: Any, submission_id: int, reason: str,
                   seen: tuple[str, int] | None = None) -> Submission:
    """Back to the merchant with what to fix; it edits and sends a new version. The merchant
    gets at least ``CORRECTION_DAYS`` from now, even past the original deadline."""
    require_role(actor, REVIEW_ROLES, action="审核报备资料")
    text = _reason(reason)
    submission = _for_review(submission_id)
    _as_seen(submission, seen)
    now = clock.now()
    _move(submission, REVIEWABLE, state=SubmissionState.CORRECTION, decided_at=now,
          due_at=max(submission.due_at, now + timedelta(days=CORRECTION_DAYS)))
    _decide(submission, actor, Decision.CORRECTION, text)
    submission.refresh_from_db()
    return submission
