"""Import reports carried across POST-redirect-GET: the POST keeps a plain summary in the
session, the next GET of the page shows it once. A reload after that shows no stale report."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from huiquan.catalog.services import ImportReport
from huiquan.merchants.services import BlacklistReport

SHOWN_ROWS = 500  # rejected rows kept for the page; the count is always complete
BLACKLIST_KEY = "office.blacklist_report"
CATALOG_KEY = "office.catalog_report"


def _rejected(rows: list[tuple[int, str]]) -> dict[str, Any]:
    return {"rejected": [[number, reason] for number, reason in rows[:SHOWN_ROWS]],
            "rejected_count": len(rows), "rejected_hidden": max(0, len(rows) - SHOWN_ROWS)}


def blacklist_summary(report: BlacklistReport, file_name: str) -> dict[str, Any]:
    return {"file": file_name, "added": report.added, "already": report.already,
            "hits": [{"id": m.pk, "name": m.legal_name, "uscc": m.uscc, "what": what}
                     for m, what in report.hits],
            **_rejected(report.rejected)}


def catalog_summary(report: ImportReport, file_name: str) -> dict[str, Any]:
    return {"file": file_name, "added": report.added, "updated": report.updated,
            "unchanged": report.unchanged,
            "version": report.version.number if report.version is not None else None,
            **_rejected(report.rejected)}


def keep(request: HttpRequest, key: str, summary: dict[str, Any]) -> None:
    request.session[key] = summary


def take(request: HttpRequest, key: str) -> dict[str, Any] | None:
    summary = request.session.pop(key, None)
    return summary if isinstance(summary, dict) else None
