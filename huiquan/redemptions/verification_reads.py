"""Reads of sales for claim documents (huiquan.verification, issue 14), in their own file so the
apps built in parallel do not edit the same one."""

from __future__ import annotations

from typing import Any

from huiquan.redemptions.errors import RedemptionNotFound
from huiquan.redemptions.models import Redemption, RedemptionState


def completed_sales(merchant: Any, limit: int = 200) -> list[Redemption]:
    """A merchant's completed sales, newest first, with their release (the round whose end sets
    the documents' deadline, R-DOC-3)."""
    return list(Redemption.objects.filter(merchant=merchant, state=RedemptionState.COMPLETED)
                .select_related("consumer", "release").order_by("-created_at", "-pk")[:limit])


def sale_for_documents(redemption_id: int) -> Redemption:
    """One sale with everything its documents are checked against: the consumer (registered
    name, phone), the voucher (validity), the release, the lines and their products."""
    found = (Redemption.objects.filter(pk=redemption_id)
             .select_related("consumer", "voucher", "release", "merchant", "campaign")
             .prefetch_related("lines__product__kind", "lines__kind").first())
    if found is None:
        raise RedemptionNotFound("找不到这笔核销记录")
    return found
