"""Vouchers (no payment-code secrets) in /admin/ (the system admin's raw data view), read-only."""

from huiquan.core.admin_site import register_read_only
from huiquan.vouchers.models import Voucher

register_read_only(Voucher)
