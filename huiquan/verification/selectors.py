"""Reads of claim documents. ``approved_unsettled`` is what settlement pays (invariant 6)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q

from huiquan.core import clock
from huiquan.verification.errors import VerificationCode, refused
from huiquan.verification.models import (
    CheckOutcome,
    CheckResult,
    Decision,
    Document,
    ReviewDecision,
    Submission,
    SubmissionState,
)


def approved_unsettled(*, campaign: Any, merchant_ids: Iterable[int] | None = None
                       ) -> list[Submission]:
    """Approved submissions whose sale is not settled yet, oldest approval first, with their
    redemption loaded. Settlement re-checks each sale under its own locks."""
    rows = (Submission.objects.filter(campaign=campaign, state=SubmissionState.APPROVED,
                                      redemption__settled_at__isnull=True)
            .select_related("redemption").order_by("approved_at", "pk"))
    if merchant_ids is not None:
        rows = rows.filter(merchant_id__in=list(merchant_ids))
    return list(rows)


# --- the merchant's list, the review queue, one submission, one document ------------------------

@dataclass(frozen=True)
class SaleRow:
    """One completed sale on the merchant's documents page, with its submission if any."""

    sale: Any
    submission: Submission | None
    due_at: datetime
    left: str  # the countdown, in words
    late: bool


def countdown(due_at: datetime, now: datetime | None = None) -> tuple[str, bool]:
    """"还剩 3 天 4 小时" until the deadline (R-DOC-3), or that it has passed."""
    left = due_at - (now or clock.now())
    if left.total_seconds() <= 0:
        return f"已于 {clock.local(due_at).strftime('%Y-%m-%d %H:%M')} 截止", True
    days, seconds = left.days, left.seconds
    if days:
        return f"还剩 {days} 天 {seconds // 3600} 小时", False
    return f"还剩 {seconds // 3600} 小时 {seconds % 3600 // 60} 分", False


def sales_for_documents(merchant: Any) -> list[SaleRow]:
    from huiquan.redemptions.verification_reads import completed_sales
    from huiquan.verification.services import due_at_for

    sales = completed_sales(merchant)
    by_sale = {s.redemption_id: s for s in
               Submission.objects.filter(redemption_id__in=[sale.pk for sale in sales])}
    now = clock.now()
    rows = []
    for sale in sales:
        submission = by_sale.get(sale.pk)
        due = submission.due_at if submission else due_at_for(sale)
        left, late = countdown(due, now)
        rows.append(SaleRow(sale, submission, due, left, late))
    return rows


def own_submission(merchant: Any, submission_id: int) -> Submission:
    """A merchant's own submission; another shop's is not found."""
    found = (Submission.objects.filter(pk=submission_id, merchant_id=getattr(merchant, "pk", 0))
             .select_related("redemption").first())
    if found is None:
        raise refused(VerificationCode.SUBMISSION_NOT_FOUND)
    return found


def submission_by_id(submission_id: int) -> Submission:
    found = (Submission.objects.filter(pk=submission_id)
             .select_related("redemption", "merchant", "campaign").first())
    if found is None:
        raise refused(VerificationCode.SUBMISSION_NOT_FOUND)
    return found


def documents_of(submission: Submission, *, current_only: bool = True) -> list[Document]:
    rows = Document.objects.filter(submission=submission)
    if current_only:
        rows = rows.filter(removed_at__isnull=True)
    return list(rows.order_by("kind", "pk"))


def checks_of(submission: Submission, version: int | None = None) -> list[CheckResult]:
    """One version's results (the current one by default), in the order of ``checks.RULES``."""
    from huiquan.verification.checks import RULES

    order = {rule: i for i, rule in enumerate(RULES)}
    rows = CheckResult.objects.filter(submission=submission,
                                      version=submission.version if version is None else version)
    return sorted(rows, key=lambda r: order.get(r.rule, 99))


def decisions_of(submission: Submission) -> list[ReviewDecision]:
    return list(submission.decisions.select_related("reviewer").order_by("decided_at", "pk"))


def latest_correction(submission: Submission) -> ReviewDecision | None:
    return (submission.decisions.filter(decision=Decision.CORRECTION)
            .order_by("-decided_at", "-pk").first())


@dataclass(frozen=True)
class QueueFilter:
    merchant_id: int | None = None
    state: str | None = None
    failing_rule: str | None = None
    older_than_days: int | None = None


def review_queue(campaign: Any, filters: QueueFilter, limit: int = 200) -> list[Submission]:
    """Sent submissions, oldest sending first; by default those waiting for a reviewer."""
    rows = Submission.objects.filter(campaign=campaign).exclude(state=SubmissionState.DRAFT)
    if filters.state:
        rows = rows.filter(state=filters.state)
    else:
        rows = rows.filter(state__in=(SubmissionState.IN_REVIEW, SubmissionState.SECOND_REVIEW,
                                      SubmissionState.CHECKING))
    if filters.merchant_id:
        rows = rows.filter(merchant_id=filters.merchant_id)
    if filters.failing_rule:
        rows = rows.filter(checks__rule=filters.failing_rule, checks__outcome=CheckOutcome.FAIL,
                           checks__version=F("version"))
    if filters.older_than_days:
        rows = rows.filter(submitted_at__lte=clock.now() - timedelta(days=filters.older_than_days))
    rows = rows.annotate(failing=Count("checks", filter=Q(checks__outcome=CheckOutcome.FAIL,
                                                          checks__version=F("version")),
                                       distinct=True))
    return list(rows.select_related("merchant", "redemption")
                .order_by("submitted_at", "pk")[:limit])


def document_by_id(document_id: int) -> Document | None:
    return Document.objects.filter(pk=document_id).select_related("submission").first()
