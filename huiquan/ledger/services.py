"""Posting money. The only code that changes balances (invariant 3).

``post`` books one balanced transaction: the postings must sum to zero, every pool account is
moved by a conditional update that refuses to go below zero, and all of it happens in the
caller's transaction, so a refusal leaves nothing behind. ``transfer`` moves an amount from one
pool to another, split by funding source in a fixed order, so the money stays traceable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from huiquan.core import clock
from huiquan.core.locks import lock_rows
from huiquan.core.money import format_yuan
from huiquan.ledger.errors import AlreadyPosted, InsufficientFunds, LedgerError
from huiquan.ledger.models import (
    NEGATIVE_KINDS,
    Account,
    AccountKind,
    LedgerTransaction,
    Posting,
)

# Test-only hook called between reading balances and writing them (forced interleaving).
_between_check_and_write: Callable[[], None] | None = None


def guards_enabled() -> bool:
    return not getattr(settings, "HUIQUAN_UNSAFE_DISABLE_GUARDS", False)


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


def account_for(*, campaign: Any, scope: Scope, source: Any) -> Account:
    account, _ = Account.objects.get_or_create(
        campaign=campaign,
        code=scope.code_for(source),
        defaults={
            "kind": scope.kind,
            "source": source,
            "period": scope.period,
            "release": scope.release,
            "party": scope.party,
        },
    )
    return account


def _apply(account: Account, amount: int) -> None:
    """Move one balance. Pools use a conditional update: never below zero, whatever the race."""
    qs = Account.objects.filter(pk=account.pk)
    if account.kind in NEGATIVE_KINDS or amount > 0 or not guards_enabled():
        qs.update(balance_fen=F("balance_fen") + amount)
        return
    if qs.filter(balance_fen__gte=-amount).update(balance_fen=F("balance_fen") + amount) != 1:
        raise InsufficientFunds(
            f"账户 {account.code} 余额不足，无法支出 {format_yuan(-amount)} 元"
        )


def post(*, campaign: Any, kind: str, lines: Sequence[tuple[Account, int]], memo: str = "",
         actor: Any = None, dedupe_key: str | None = None, period: Any = None,
         release: Any = None, reference: str = "") -> LedgerTransaction:
    """Book one balanced transaction inside the caller's atomic block."""
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("记账必须在业务事务内进行")
    lines = [(acc, amt) for acc, amt in lines if amt != 0]
    if not lines:
        raise LedgerError("没有任何金额变动的记账被拒绝")
    for _, amount in lines:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise LedgerError("金额必须是整数（分）")
    if sum(amount for _, amount in lines) != 0:
        raise LedgerError("借贷不平衡：分录合计必须为零")
    try:
        with transaction.atomic():  # savepoint: a duplicate key leaves the caller usable
            tx = LedgerTransaction.objects.create(
                campaign=campaign, kind=kind, created_at=clock.now(), memo=memo[:255],
                dedupe_key=dedupe_key, actor=actor if getattr(actor, "pk", None) else None,
                period=period, release=release, reference=reference[:128],
            )
    except IntegrityError as exc:
        raise AlreadyPosted(f"该笔账务已经记过（{dedupe_key}），未重复记账") from exc
    Posting.objects.bulk_create(
        [Posting(transaction=tx, account=acc, amount_fen=amt) for acc, amt in lines]
    )
    # Debits (decreases) first, in primary-key order: a refusal happens before any credit.
    for account, amount in sorted(lines, key=lambda la: (la[1] > 0, la[0].pk)):
        _apply(account, amount)
    return tx


def _lock(accounts: list[Account]) -> list[Account]:
    """Lock the accounts in primary-key order (a no-op on SQLite, whose IMMEDIATE transaction
    already holds the write lock) and return them with fresh balances."""
    fresh = lock_rows(Account, (a.pk for a in accounts))
    return [fresh[a.pk] for a in accounts]


def balances(*, campaign: Any, scope: Scope) -> dict[Any, int]:
    sources = list(campaign.funding_sources.order_by("order", "pk"))
    out: dict[Any, int] = {}
    for source in sources:
        acc = Account.objects.filter(campaign=campaign, code=scope.code_for(source)).first()
        out[source] = acc.balance_fen if acc else 0
    return out


def transfer(*, campaign: Any, kind: str, source_scope: Scope, dest_scope: Scope, amount: int,
             memo: str = "", actor: Any = None, dedupe_key: str | None = None,
             period: Any = None, release: Any = None, only_source: Any = None,
             shortfall_message: Callable[[int, dict[Any, int]], str] | None = None,
             reference: str = "") -> LedgerTransaction:
    """Move ``amount`` fen from one pool to another, taking from funding sources in order.

    Refuses (InsufficientFunds, nothing written) when the source pool holds less.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise LedgerError("转移金额必须是正整数（分）")
    sources = list(campaign.funding_sources.order_by("order", "pk"))
    if only_source is not None:
        sources = [s for s in sources if s.pk == only_source.pk]
    from_accounts = [account_for(campaign=campaign, scope=source_scope, source=s) for s in sources]
    if guards_enabled():
        from_accounts = _lock(from_accounts)
    available = {acc.source: acc.balance_fen for acc in from_accounts}
    if _between_check_and_write is not None:
        _between_check_and_write()
    total = sum(available.values())
    if total < amount and guards_enabled():
        message = (shortfall_message(amount, available) if shortfall_message else
                   f"资金不足：需要 {format_yuan(amount)} 元，可用 {format_yuan(total)} 元")
        raise InsufficientFunds(message)
    lines: list[tuple[Account, int]] = []
    left = amount
    for i, acc in enumerate(from_accounts):
        last = i == len(from_accounts) - 1
        take = left if last else min(left, max(acc.balance_fen, 0))
        if take <= 0:
            continue
        dest = account_for(campaign=campaign, scope=dest_scope, source=acc.source)
        lines += [(acc, -take), (dest, take)]
        left -= take
        if left == 0:
            break
    return post(campaign=campaign, kind=kind, lines=lines, memo=memo, actor=actor,
                dedupe_key=dedupe_key, period=period, release=release, reference=reference)


def sweep(*, campaign: Any, kind: str, source_scope: Scope, dest_scope: Scope, memo: str = "",
          actor: Any = None, dedupe_key: str | None = None, period: Any = None,
          release: Any = None) -> LedgerTransaction | None:
    """Move everything a pool holds to another pool, source by source. None when empty."""
    sources = list(campaign.funding_sources.order_by("order", "pk"))
    from_accounts = _lock(
        [account_for(campaign=campaign, scope=source_scope, source=s) for s in sources]
    )
    lines: list[tuple[Account, int]] = []
    for acc in from_accounts:
        if acc.balance_fen > 0:
            dest = account_for(campaign=campaign, scope=dest_scope, source=acc.source)
            lines += [(acc, -acc.balance_fen), (dest, acc.balance_fen)]
    if not lines:
        return None
    return post(campaign=campaign, kind=kind, lines=lines, memo=memo, actor=actor,
                dedupe_key=dedupe_key, period=period, release=release)


__all__ = [
    "AccountKind",
    "Scope",
    "account_for",
    "balances",
    "post",
    "sweep",
    "transfer",
]
