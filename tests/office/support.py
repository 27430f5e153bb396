"""Small readers the back-office tests share."""

from __future__ import annotations

from huiquan.audit.models import AuditEntry
from huiquan.campaigns import selectors


def received(campaign, source) -> int:  # type: ignore[no-untyped-def]
    return next(f for f in selectors.funds_by_source(campaign) if f.source == source).received


def audit_count() -> int:
    return AuditEntry.objects.count()


def field_html(html: str, name: str) -> str:
    """The markup of one form field: its input, help text and its errors."""
    return html.split(f'name="{name}"')[1].split('<div class="field')[0]
