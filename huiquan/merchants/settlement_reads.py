"""Reads of merchants for settlement (huiquan.settlement, above): who is paid, to which bank
account, and who is frozen (suspended or disqualified: R-INT-1, their sales wait)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from huiquan.merchants.models import Merchant, MerchantState

FROZEN_STATES = (MerchantState.SUSPENDED, MerchantState.DISQUALIFIED)


@dataclass(frozen=True)
class Payee:
    id: int
    legal_name: str
    uscc: str
    bank_name: str
    bank_account_name: str
    bank_account: str
    state: str

    @property
    def frozen(self) -> bool:
        return self.state in FROZEN_STATES


def payees(merchant_ids: Collection[int]) -> dict[int, Payee]:
    """The merchants by id, in one query."""
    rows = Merchant.objects.filter(pk__in=list(merchant_ids)).values_list(
        "pk", "legal_name", "uscc", "bank_name", "bank_account_name", "bank_account", "state")
    return {row[0]: Payee(*row) for row in rows}
