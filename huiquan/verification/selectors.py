"""Reads of claim documents. ``approved_unsettled`` is what settlement pays (invariant 6)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from huiquan.verification.models import Submission, SubmissionState


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
