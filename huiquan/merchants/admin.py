"""Merchants, staff links, training, the dishonesty list and integrity cases in /admin/ (the
system admin's raw data view), read-only."""

from huiquan.core.admin_site import register_read_only
from huiquan.merchants.models import BlacklistEntry, IntegrityCase, Merchant, MerchantStaff, Training

register_read_only(BlacklistEntry, IntegrityCase, Merchant, MerchantStaff, Training)
