"""Redemptions, their lines, returns and refunds in /admin/ (the system admin's raw data view), read-only."""

from huiquan.core.admin_site import register_read_only
from huiquan.redemptions.models import AutoRefund, GoodsReturn, Redemption, RedemptionLine

register_read_only(AutoRefund, GoodsReturn, Redemption, RedemptionLine)
