"""Template helpers of the back office (money and dates use the shared `huiquan` library)."""

from __future__ import annotations

from typing import Any

from django import template

from huiquan.campaigns import selectors as campaign_selectors
from huiquan.office import labels
from huiquan.office.access import NAV_ROLES, may

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return labels.action_label(code)


@register.filter
def object_label(code: str) -> str:
    return labels.object_label(code)


@register.filter
def merchant_pill(state: str) -> str:
    return labels.merchant_state_pill(state)


@register.filter
def names_in(codes: list[str] | None, names: dict[str, str]) -> str:
    """Category codes as their Chinese names: ["appliance", "furniture"] -> "家电类、家居类"."""
    return "、".join(names.get(c, c) for c in codes or [])


@register.filter
def uses(user: Any, page: str) -> bool:
    """Whether the navigation shows ``page`` to this user ({% if user|uses:"catalog" %})."""
    return may(user, NAV_ROLES.get(page, ()))


@register.simple_tag
def current_campaign_name() -> str:
    """For pages without a campaign in their context (errors, log-in): the top bar's name."""
    campaign = campaign_selectors.current_campaign()
    return campaign.name if campaign is not None else "活动后台"
