"""The names of the ledger's accounts: which pool, for what (ARCHITECTURE.md invariant 3).

One place names every account kind with what it belongs to; campaigns, redemptions (and
settlement later) take their scopes from here instead of spelling them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huiquan.ledger.models import AccountKind


@dataclass(frozen=True)
class Scope:
    """Which pool: a kind plus what it belongs to. One account per funding source."""

    kind: str
    period: Any = None
    release: Any = None
    party: str = ""

    def code_for(self, source: Any) -> str:
        parts = [self.kind]
        if self.period is not None:
            parts.append(f"p{self.period.number}")
        if self.release is not None:
            parts.append(f"r{self.release.pk}")
        if self.party:
            parts.append(self.party)
        parts.append(source.code)
        return ":".join(parts)


FUNDING_SOURCE = Scope(AccountKind.FUNDING_SOURCE)
CAMPAIGN_POOL = Scope(AccountKind.CAMPAIGN_POOL)


def period_pool(period: Any) -> Scope:
    return Scope(AccountKind.PERIOD_POOL, period=period)


def release_pool(release: Any) -> Scope:
    return Scope(AccountKind.RELEASE_POOL, release=release)


def reserved(release: Any) -> Scope:
    return Scope(AccountKind.RESERVED, release=release)


def merchant_party(merchant_id: int) -> str:
    return f"m{merchant_id}"


def payable(merchant_id: int) -> Scope:
    return Scope(AccountKind.MERCHANT_PAYABLE, party=merchant_party(merchant_id))


def paid_out(merchant_id: int) -> Scope:
    return Scope(AccountKind.PAID_OUT, party=merchant_party(merchant_id))


def clawback_receivable(merchant_id: int) -> Scope:
    return Scope(AccountKind.CLAWBACK_RECEIVABLE, party=merchant_party(merchant_id))


RETURNED_TO_TREASURY = Scope(AccountKind.RETURNED_TO_TREASURY)  # close-out (R-SCHED-6)
