from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django import template

from huiquan.core import clock
from huiquan.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(value: int | None) -> str:
    """Fen -> "123,456.78"; the one place templates turn money into yuan."""
    if value is None:
        return "—"
    return format_yuan(int(value))


@register.filter
def shanghai(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return clock.local(value).strftime(fmt)


WEEKDAYS = "一二三四五六日"


@register.filter
def weekday(value: datetime | None) -> str:
    if value is None:
        return ""
    return "周" + WEEKDAYS[clock.local(value).weekday()]


@register.filter
def last_day(value: datetime | None) -> str:
    """An exclusive end (next day 00:00) shown as the last day people know: "2024-07-31"."""
    if value is None:
        return "—"
    return (clock.local(value) - timedelta(microseconds=1)).strftime("%Y-%m-%d")


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)


@register.filter
def role_label(value: str) -> str:
    """"bureau" -> "县工信和科技局（活动主管）"; "system" for scheduled transitions."""
    from huiquan.core.roles import Role

    if value == "system":
        return "系统（定时任务）"
    try:
        return str(Role(value).label)
    except ValueError:
        return value or "—"
