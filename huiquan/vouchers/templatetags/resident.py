"""Template filters for the resident's pages: dates, times and money in the words of
``huiquan.vouchers.words`` ("6月21日（周五）10:00", "2000 元")."""

from __future__ import annotations

from datetime import datetime

from django import template

from huiquan.vouchers import words

register = template.Library()


@register.filter
def cn_day(value: datetime | None) -> str:
    return words.day(value) if value else ""


@register.filter
def cn_when(value: datetime | None) -> str:
    return words.when(value) if value else ""


@register.filter
def cn_hour(value: datetime | None) -> str:
    return words.hour(value) if value else ""


@register.filter
def money(fen: int | None) -> str:
    return words.money(fen) if fen is not None else ""


@register.filter
def grade(number: int | None) -> str:
    return words.grade(number) if number else ""
