from __future__ import annotations

from huiquan.core.errors import DomainError


class LedgerError(DomainError):
    code = "LEDGER_INVALID"
    status = 422


class InsufficientFunds(DomainError):
    """A movement would take a pool below zero (invariant 3, R-FUND-2, R-USE-4)."""

    code = "INSUFFICIENT_FUNDS"
    status = 409


class AlreadyPosted(DomainError):
    """A transition with this dedupe key was already booked; nothing was changed."""

    code = "ALREADY_POSTED"
    status = 409
