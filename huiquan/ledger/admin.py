"""The ledger in /admin/ (the system admin's raw data view), read-only."""

from huiquan.core.admin_site import register_read_only
from huiquan.ledger.models import Account, LedgerTransaction, Posting

register_read_only(Account, LedgerTransaction, Posting)
