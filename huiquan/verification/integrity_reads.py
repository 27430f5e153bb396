"""Reads of claim documents for the integrity signals (R-INT-1..2; huiquan.integrity).

Flat lists in one statement each: the hashes of every kept document, the phones typed on
submissions that recur across shops, a shop's unsettled submissions by state. If no document
has been uploaded yet, they simply return nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from huiquan.verification.models import Document, Submission


@dataclass(frozen=True)
class DocumentHash:
    id: int
    submission_id: int
    redemption_id: int
    merchant_id: int
    kind: str
    sha256: str
    phash: str  # "" for PDFs and files without a perceptual hash
    uploaded_at: datetime


def document_hashes(campaign_id: int) -> list[DocumentHash]:
    """Every document still part of a submission (not replaced before sending)."""
    rows = (Document.objects.filter(submission__campaign_id=campaign_id, removed_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "submission_id", "submission__redemption_id",
                         "submission__merchant_id", "kind", "sha256", "phash", "uploaded_at"))
    return [DocumentHash(*row) for row in rows]


@dataclass(frozen=True)
class TypedPhone:
    phone: str
    submission_id: int
    redemption_id: int
    merchant_id: int
    submitted_at: datetime | None


def phones_on_many_merchants(campaign_id: int, *, min_merchants: int) -> list[TypedPhone]:
    """Submissions whose typed consumer phone also appears on submissions of other shops
    (``min_merchants`` or more shops in all): two statements."""
    typed = Submission.objects.filter(campaign_id=campaign_id).exclude(phone="")
    phones = list(typed.values("phone").annotate(shops=Count("merchant_id", distinct=True))
                  .filter(shops__gte=min_merchants).values_list("phone", flat=True))
    if not phones:
        return []
    rows = (typed.filter(phone__in=phones).order_by("phone", "merchant_id", "pk")
            .values_list("phone", "pk", "redemption_id", "merchant_id", "submitted_at"))
    return [TypedPhone(*row) for row in rows]


def submission_states(merchant_id: int, redemption_ids: list[int]) -> dict[str, int]:
    """How many of these sales' submissions are in each state (what a freeze holds back)."""
    rows = (Submission.objects.filter(merchant_id=merchant_id, redemption_id__in=redemption_ids)
            .values("state").annotate(n=Count("pk")).order_by("state"))
    return {r["state"]: r["n"] for r in rows}
