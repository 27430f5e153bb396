"""Approved submissions for tests of what comes after review (settlement, integrity), made
directly: the submission, checks and review have their own tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from huiquan.core import clock
from huiquan.verification.models import Decision, ReviewDecision, Submission, SubmissionState


def approved_submission(redemption: Any, reviewer: Any) -> Submission:
    now = clock.now()
    submission = Submission.objects.create(
        redemption=redemption, merchant_id=redemption.merchant_id,
        campaign_id=redemption.campaign_id, state=SubmissionState.APPROVED, version=1,
        due_at=now + timedelta(days=15), created_at=now, submitted_at=now, decided_at=now,
        approved_at=now)
    ReviewDecision.objects.create(submission=submission, version=1, reviewer=reviewer,
                                  decision=Decision.APPROVE, decided_at=now)
    return submission
