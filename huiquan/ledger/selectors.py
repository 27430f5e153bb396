"""Reads of the ledger: balances of pools, postings, and the ledger's own reconcile checks.

Every read of a pool's money is here (campaigns, redemptions and the office ask through these);
``huiquan.reconcile`` assembles the whole reconcile from each app's checks (invariant 3)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum

from huiquan.core import sql
from huiquan.ledger.models import (
    Account,
    AccountKind,
    Posting,
)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Reconciliation:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def table(self) -> str:
        width = max((len(c.name) for c in self.checks), default=10)
        lines = [f"{'检查项'.ljust(width)}  结果  说明"]
        for c in self.checks:
            lines.append(f"{c.name.ljust(width)}  {'通过' if c.ok else '不符'}  {c.detail}")
        lines.append("对账通过" if self.ok else "对账不符：见上表标为「不符」的项")
        return "\n".join(lines)


# --- balances: every pool's money is read here --------------------------------------------------


def pool_total(campaign: Any, kind: str, **filters: Any) -> int:
    """What the accounts of one kind hold together (``filters``: e.g. ``period=``,
    ``release=``, ``release__period=``)."""
    return int(Account.objects.filter(campaign=campaign, kind=kind, **filters)
               .aggregate(s=Sum("balance_fen"))["s"] or 0)


def party_balance(campaign: Any, kind: str, party: str | None = None) -> int:
    """What one kind holds for one party (a merchant: ``scopes.merchant_party``), or for all."""
    qs = Account.objects.filter(campaign=campaign, kind=kind)
    if party is not None:
        qs = qs.filter(party=party)
    return int(qs.aggregate(s=Sum("balance_fen"))["s"] or 0)


_RELEASE_POOL_SQL = (
    "SELECT COALESCE(SUM(balance_fen), 0) FROM ledger_account WHERE release_id = %s AND kind = %s"
)


def release_pool_fen(release_id: int) -> int:
    """What a release's pool holds, in one plain query without locking its accounts (the till's
    pre-check under the write lock: only a refusal is decided from it, never a grant)."""
    row = sql.fetch_one(_RELEASE_POOL_SQL, [release_id, AccountKind.RELEASE_POOL])
    return int(row[0]) if row else 0


def posted_fen(*, release: Any, account_kind: str, tx_kinds: Sequence[str]) -> int:
    """The postings of a release's transactions of these kinds to accounts of one kind."""
    return int(Posting.objects.filter(transaction__release=release, account__kind=account_kind,
                                      transaction__kind__in=list(tx_kinds))
               .aggregate(s=Sum("amount_fen"))["s"] or 0)


def posted_by_source(campaign: Any) -> dict[tuple[int, str, str], int]:
    """(funding source id, account kind, transaction kind) → sum of the campaign's postings."""
    rows: dict[tuple[int, str, str], int] = defaultdict(int)
    for r in (Posting.objects.filter(account__campaign=campaign)
              .values("account__source_id", "account__kind", "transaction__kind")
              .annotate(total=Sum("amount_fen"))):
        rows[(r["account__source_id"], r["account__kind"], r["transaction__kind"])] += r["total"]
    return rows


def accounts_of(campaign: Any) -> list[Account]:
    """Every account of the campaign, each with ``posted``: the sum of its postings."""
    return list(Account.objects.filter(campaign=campaign).annotate(
        posted=Sum("postings__amount_fen")))
