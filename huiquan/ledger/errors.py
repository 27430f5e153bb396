from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode


class LedgerCode(ErrorCode):
    """Codes of the ledger's refusals (invariant 3)
    (code, HTTP status, default message; docs/api.md)."""

    ALREADY_POSTED = "ALREADY_POSTED", 409, "该笔账务已经记过，未重复记账"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS", 409, "资金不足"
    LEDGER_INVALID = "LEDGER_INVALID", 422, "记账数据有误"


class LedgerError(DomainError):
    code = LedgerCode.LEDGER_INVALID
    status = 422


class InsufficientFunds(DomainError):
    """A movement would take a pool below zero (invariant 3, R-FUND-2, R-USE-4)."""

    code = LedgerCode.INSUFFICIENT_FUNDS
    status = 409


class AlreadyPosted(DomainError):
    """A transition with this dedupe key was already booked; nothing was changed."""

    code = LedgerCode.ALREADY_POSTED
    status = 409
