"""Reads of settlement: runs, their payouts and lines, open receivables with their age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet

from huiquan.core import clock
from huiquan.settlement.models import (
    BankFile,
    CloseOut,
    Payout,
    Receivable,
    SettlementRun,
)

OVERDUE_DAYS_DEFAULT = 30  # a receivable older than this flags its merchant (R-RET-2)


def runs_of(campaign: Any) -> QuerySet[SettlementRun]:
    return SettlementRun.objects.filter(campaign=campaign).select_related(
        "created_by", "approved_by").order_by("-number")


def run_by_id(run_id: int) -> SettlementRun | None:
    return SettlementRun.objects.select_related("campaign", "created_by", "approved_by").filter(
        pk=run_id).first()


def run_by_number(campaign: Any, number: int) -> SettlementRun | None:
    return SettlementRun.objects.filter(campaign=campaign, number=number).first()


def payouts_of(run: SettlementRun) -> list[Payout]:
    return list(run.payouts.order_by("pk"))


def files_of(run: SettlementRun) -> list[BankFile]:
    return list(run.files.order_by("number"))


def bank_file(run: SettlementRun, number: int) -> BankFile | None:
    return run.files.filter(number=number).first()


def overdue_days(campaign: Any) -> int:
    config = (getattr(campaign, "config", None) or {}).get("settlement", {})
    return int(config.get("receivable_overdue_days", OVERDUE_DAYS_DEFAULT))


@dataclass(frozen=True)
class OpenReceivable:
    receivable: Receivable
    age_days: int
    overdue: bool


def open_receivables(campaign: Any, now: datetime | None = None) -> list[OpenReceivable]:
    """Receivables not fully recovered, oldest first, with their age in days; ``overdue`` past
    the campaign's limit (``[settlement] receivable_overdue_days``, 30 by default)."""
    now = now or clock.now()
    limit = overdue_days(campaign)
    out = []
    for r in (Receivable.objects.filter(campaign=campaign, recovered_fen__lt=F("amount_fen"))
              .select_related("merchant").order_by("booked_at", "pk")):
        age = (now - r.booked_at).days
        out.append(OpenReceivable(r, age, age > limit))
    return out


def flagged_merchants(campaign: Any, now: datetime | None = None) -> set[int]:
    """Merchants with an overdue open receivable."""
    return {o.receivable.merchant_id for o in open_receivables(campaign, now) if o.overdue}


def closeouts_of(campaign: Any) -> list[CloseOut]:
    return list(CloseOut.objects.filter(campaign=campaign).order_by("pk"))
