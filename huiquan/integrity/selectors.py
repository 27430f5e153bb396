"""Reads of integrity signals and cases for the back office (R-INT-1..2)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q

from huiquan.integrity.errors import CaseError, IntegrityCode
from huiquan.integrity.models import Case, CaseEntry, CaseState, Signal

PAGE_ROWS = 200


def signals(campaign: Any, *, kind: str = "", merchant_id: int | None = None,
            severity: str = "") -> list[Signal]:
    """Signals by score, with their shop and how many of their cases are still open."""
    rows = Signal.objects.filter(campaign=campaign)
    if kind:
        rows = rows.filter(kind=kind)
    if merchant_id:
        rows = rows.filter(merchant_id=merchant_id)
    if severity:
        rows = rows.filter(severity=severity)
    return list(rows.select_related("merchant")
                .annotate(open_cases=Count("cases", filter=Q(cases__state=CaseState.OPEN)),
                          all_cases=Count("cases"))
                .order_by("-score", "-computed_at", "pk")[:PAGE_ROWS])


def signal_counts(campaign: Any) -> dict[str, int]:
    return {r["kind"]: r["n"] for r in Signal.objects.filter(campaign=campaign)
            .values("kind").annotate(n=Count("pk")).order_by("kind")}


def signal_merchants(campaign: Any) -> list[tuple[int, str]]:
    """The shops that have signals, for the filter."""
    return list(Signal.objects.filter(campaign=campaign).order_by("merchant_id")
                .values_list("merchant_id", "merchant__legal_name").distinct())


def signal_in(campaign: Any, signal_id: int) -> Signal:
    signal = Signal.objects.select_related("merchant").filter(pk=signal_id,
                                                              campaign=campaign).first()
    if signal is None:
        raise CaseError(f"没有这个诚信信号（编号 {signal_id}）：它不存在或不属于本活动",
                        code=IntegrityCode.SIGNAL_NOT_FOUND, status=404)
    return signal


def cases_of_signal(signal: Signal) -> list[Case]:
    return list(signal.cases.order_by("-opened_at", "-pk"))


def cases(campaign: Any, *, state: str = "") -> list[Case]:
    rows = Case.objects.filter(campaign=campaign)
    if state:
        rows = rows.filter(state=state)
    return list(rows.select_related("merchant", "opened_by", "decided_by")
                .order_by("state", "-opened_at", "-pk")[:PAGE_ROWS])


def case_in(campaign: Any, case_id: int) -> Case:
    case = (Case.objects.select_related("merchant", "signal", "opened_by", "decided_by")
            .prefetch_related(Prefetch("entries", CaseEntry.objects.select_related("author")))
            .filter(pk=case_id, campaign=campaign).first())
    if case is None:
        raise CaseError(f"没有这个案件（编号 {case_id}）：它不存在或不属于本活动",
                        code=IntegrityCode.CASE_NOT_FOUND, status=404)
    return case


def entry_in(campaign: Any, case_id: int, entry_id: int) -> CaseEntry:
    entry = CaseEntry.objects.filter(pk=entry_id, case_id=case_id,
                                     case__campaign=campaign).exclude(file="").first()
    if entry is None:
        raise CaseError("没有这个证据文件", code=IntegrityCode.CASE_NOT_FOUND, status=404)
    return entry
