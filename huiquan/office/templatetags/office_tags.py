"""Template helpers of the back office (money and dates use the shared `huiquan` library)."""

from __future__ import annotations

from django import template

from huiquan.campaigns import selectors as campaign_selectors
from huiquan.office import labels

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return labels.action_label(code)


@register.filter
def object_label(code: str) -> str:
    return labels.object_label(code)


@register.simple_tag
def current_campaign_name() -> str:
    """For pages without a campaign in their context (errors, log-in): the top bar's name."""
    campaign = campaign_selectors.current_campaign()
    return campaign.name if campaign is not None else "活动后台"
