"""Settlement in /admin/ (the system admin's raw data view), read-only: it changes only
through its services (ledger, audit)."""

from huiquan.core.admin_site import register_read_only
from huiquan.settlement.models import (
    BankFile,
    CloseOut,
    Payout,
    Receivable,
    Recovery,
    SettlementLine,
    SettlementRun,
)

register_read_only(SettlementRun, Payout, SettlementLine, BankFile, Receivable, Recovery, CloseOut)
