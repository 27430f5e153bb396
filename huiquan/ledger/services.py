"""Posting money. The only code that changes balances (invariant 3).

``post`` books one balanced transaction: the postings must sum to zero, every pool account is
moved by a conditional update that refuses to go below zero, and all of it happens in the
caller's transaction, so a refusal leaves nothing behind. ``transfer`` moves an amount from one
pool to another, split by funding source in a fixed order, so the money stays traceable.

Lock order (PostgreSQL): every account a posting touches is locked in ONE statement, in
primary-key order, with the lock timeout of ``core.locks``, before any balance moves; ``transfer``
and ``sweep`` lock their source and destination accounts together the same way before they read
the balances. Two postings over the same accounts in opposite directions (the till's reservation,
release pool → reserved, and a failed payment's release, reserved → release pool) therefore
queue instead of deadlocking. On SQLite every transaction is BEGIN IMMEDIATE: it holds the
database's write lock from its start, so two writers never hold rows the other wants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, transaction

from huiquan.core import clock, guards, sql
from huiquan.core.locks import waiting_for_locks
from huiquan.core.money import format_yuan
from huiquan.ledger.errors import AlreadyPosted, InsufficientFunds, LedgerError
from huiquan.ledger.models import (
    NEGATIVE_KINDS,
    Account,
    AccountKind,
    LedgerTransaction,
    Posting,
)
from huiquan.ledger.scopes import Scope

# Test-only hook called between reading balances and writing them (forced interleaving).
_between_check_and_write: Callable[[], None] | None = None
# Test-only switch: lock accounts one by one in posting order, as before issue 12 (the
# protection-off twin of the deadlock tests shows the till's reserve/release pair deadlocking).
_posting_order_locks = False


def _pk(obj: Any) -> Any:
    """A campaign, period or release given as an instance or as its id (the till's hot path
    passes ids and saves loading the campaign's configuration)."""
    return getattr(obj, "pk", obj)


# The ledger's own reads and balance moves are plain SQL (huiquan.core.sql): every redemption
# makes about a dozen of them inside the write transaction, and the ORM's query building cost
# more than the statements (bench/RESULTS.md). Inserts of transactions and postings use the ORM.


def account_for(*, campaign: Any, scope: Scope, source: Any) -> Account:
    account, _ = Account.objects.get_or_create(
        campaign_id=_pk(campaign),
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


def accounts_for(*, campaign: Any, scope: Scope, sources: Sequence[Any],
                 lock: bool = False, also: Scope | None = None) -> list[Account]:
    """The scope's account for each funding source, in the order given, created where missing:
    one query when they all exist. ``lock``: locked in primary-key order, balances fresh;
    ``also``: the same statement locks that scope's existing accounts for these sources too
    (a transfer's destination: both sides locked at once, in primary-key order)."""
    return accounts_of_both(campaign=campaign, scope=scope, sources=sources, lock=lock,
                            also=also)[0]


def accounts_of_both(*, campaign: Any, scope: Scope, sources: Sequence[Any], lock: bool = False,
                     also: Scope | None = None) -> tuple[list[Account], dict[str, Account]]:
    """``accounts_for``, and the accounts of ``also`` the same statement found, by code (a
    transfer's destinations need no second read; issue 15)."""
    codes = [scope.code_for(source) for source in sources]
    if not codes:
        return [], {}
    locking = lock and guards.enabled()
    wanted = codes + ([also.code_for(source) for source in sources]
                      if also is not None and not _posting_order_locks else [])
    rows = sql.load(Account, f"campaign_id = %s AND code IN ({', '.join(['%s'] * len(wanted))})",
                    [_pk(campaign), *wanted], lock=locking)
    found = {account.code: account for account in rows}
    if any(code not in found for code in codes):  # first use: create, then read (lock) again
        for source, code in zip(sources, codes, strict=True):
            if code not in found:
                account_for(campaign=campaign, scope=scope, source=source)
        return accounts_of_both(campaign=campaign, scope=scope, sources=sources, lock=lock,
                                also=also)
    return [found[code] for code in codes], found


def pair_accounts(*, campaign: Any, source_scope: Scope, dest_scope: Scope,
                  sources: Sequence[Any]) -> tuple[list[Account], list[Account]]:
    """Both sides of a move for each funding source, locked together in one statement in
    primary-key order (PostgreSQL), created where missing: a sale's completion books reserved →
    payable with one read instead of two (issue 15)."""
    lock = not _posting_order_locks  # the protection-off twin: rows locked by its UPDATEs
    takes, found = accounts_of_both(campaign=campaign, scope=source_scope, sources=sources,
                                    lock=lock, also=dest_scope)
    if all(dest_scope.code_for(s) in found for s in sources):
        return takes, [found[dest_scope.code_for(s)] for s in sources]
    return takes, accounts_for(campaign=campaign, scope=dest_scope, sources=sources, lock=lock)


def lock_accounts(accounts: Sequence[Account]) -> None:
    """Lock these accounts in one statement, in primary-key order, waiting at most the lock
    timeout (then ``Busy``). A no-op on SQLite, whose BEGIN IMMEDIATE already holds the write
    lock, and with the guards off (race tests)."""
    ids = sorted({account.pk for account in accounts})
    if (not ids or _posting_order_locks or not guards.enabled()
            or not connection.features.has_select_for_update):
        return
    marks = ", ".join(["%s"] * len(ids))  # placeholders only: the ids are parameters
    with waiting_for_locks():
        sql.fetch(f"SELECT id FROM ledger_account WHERE id IN ({marks}) "  # noqa: S608
                  "ORDER BY id FOR UPDATE", ids)


_MOVE_SQL = "UPDATE ledger_account SET balance_fen = balance_fen + %s WHERE id = %s"


def _apply(account: Account, amount: int) -> None:
    """Move one balance. Pools use a conditional update: never below zero, whatever the race."""
    if account.kind in NEGATIVE_KINDS or amount > 0 or not guards.enabled():
        sql.execute(_MOVE_SQL, [amount, account.pk])
        return
    if sql.execute(_MOVE_SQL + " AND balance_fen >= %s", [amount, account.pk, -amount]) != 1:
        raise InsufficientFunds(
            f"账户 {account.code} 余额不足，无法支出 {format_yuan(-amount)} 元"
        )


def post(*, campaign: Any, kind: str, lines: Sequence[tuple[Account, int]], memo: str = "",
         actor: Any = None, dedupe_key: str | None = None, period: Any = None,
         release: Any = None, reference: str = "", locked: bool = False) -> LedgerTransaction:
    """Book one balanced transaction inside the caller's atomic block. Every account it
    touches is locked first, in one statement in primary-key order (``locked``: the caller —
    ``transfer``, ``sweep`` — already did)."""
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
    if not locked:
        lock_accounts([account for account, _ in lines])
    tx = LedgerTransaction(
        campaign_id=_pk(campaign), kind=kind, created_at=clock.now(), memo=memo[:255],
        dedupe_key=dedupe_key, actor=actor if getattr(actor, "pk", None) else None,
        period_id=_pk(period), release_id=_pk(release), reference=reference[:128],
    )
    # A dedupe key already posted inserts nothing (no savepoint: the caller's transaction stays
    # usable, and every sale saves two statements inside its write lock; issue 15).
    if not sql.insert_unless_taken(tx):
        raise AlreadyPosted(f"该笔账务已经记过（{dedupe_key}），未重复记账")
    sql.insert([Posting(transaction=tx, account=acc, amount_fen=amt) for acc, amt in lines])
    # Debits (decreases) first, in primary-key order: a refusal happens before any credit.
    for account, amount in sorted(lines, key=lambda la: (la[1] > 0, la[0].pk)):
        _apply(account, amount)
    tx.posted = list(lines)
    return tx


def transfer(*, campaign: Any, kind: str, source_scope: Scope, dest_scope: Scope, amount: int,
             sources: Sequence[Any], memo: str = "", actor: Any = None, dedupe_key: str | None = None,
             period: Any = None, release: Any = None, only_source: Any = None,
             shortfall_message: Callable[[int, dict[Any, int]], str] | None = None,
             reference: str = "") -> LedgerTransaction:
    """Move ``amount`` fen from one pool to another, taking from funding sources in order.

    ``sources``: the campaign's funding sources in funding order (campaigns.selectors.
    funding_sources; the ledger does not read campaigns' tables). Refuses (InsufficientFunds,
    nothing written) when the source pool holds less.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise LedgerError("转移金额必须是正整数（分）")
    if only_source is not None:
        sources = [s for s in sources if s.pk == only_source.pk]
    from_accounts, found = accounts_of_both(campaign=campaign, scope=source_scope,
                                            sources=sources, lock=True, also=dest_scope)
    available = {source: acc.balance_fen for source, acc in zip(sources, from_accounts,
                                                                 strict=True)}
    if _between_check_and_write is not None:
        _between_check_and_write()
    total = sum(available.values())
    if total < amount and guards.enabled():
        message = (shortfall_message(amount, available) if shortfall_message else
                   f"资金不足：需要 {format_yuan(amount)} 元，可用 {format_yuan(total)} 元")
        raise InsufficientFunds(message)
    takes: list[tuple[Any, Account, int]] = []
    left = amount
    for i, (source, acc) in enumerate(zip(sources, from_accounts, strict=True)):
        last = i == len(from_accounts) - 1
        take = left if last else min(left, max(acc.balance_fen, 0))
        if take <= 0:
            continue
        takes.append((source, acc, take))
        left -= take
        if left == 0:
            break
    dests = _dests(campaign, dest_scope, [s for s, _, _ in takes], found)
    lines: list[tuple[Account, int]] = []
    for (_, acc, take), dest in zip(takes, dests, strict=True):
        lines += [(acc, -take), (dest, take)]
    # Destinations were locked with the sources; one created just now is this transaction's own.
    return post(campaign=campaign, kind=kind, lines=lines, memo=memo, actor=actor,
                dedupe_key=dedupe_key, period=period, release=release, reference=reference,
                locked=not _posting_order_locks)


def _dests(campaign: Any, scope: Scope, sources: Sequence[Any],
           found: dict[str, Account]) -> list[Account]:
    """The destination accounts read with the sources (``accounts_of_both``), or read now."""
    if all(scope.code_for(s) in found for s in sources):
        return [found[scope.code_for(s)] for s in sources]
    return accounts_for(campaign=campaign, scope=scope, sources=sources)


def sweep(*, campaign: Any, kind: str, source_scope: Scope, dest_scope: Scope,
          sources: Sequence[Any], memo: str = "", actor: Any = None,
          dedupe_key: str | None = None, period: Any = None,
          release: Any = None) -> LedgerTransaction | None:
    """Move everything a pool holds to another pool, source by source (``sources`` as for
    ``transfer``). None when empty."""
    from_accounts, found = accounts_of_both(campaign=campaign, scope=source_scope,
                                            sources=sources, lock=True, also=dest_scope)
    full = [(s, acc) for s, acc in zip(sources, from_accounts, strict=True) if acc.balance_fen > 0]
    dests = _dests(campaign, dest_scope, [s for s, _ in full], found)
    lines: list[tuple[Account, int]] = []
    for (_, acc), dest in zip(full, dests, strict=True):
        lines += [(acc, -acc.balance_fen), (dest, acc.balance_fen)]
    if not lines:
        return None
    return post(campaign=campaign, kind=kind, lines=lines, memo=memo, actor=actor,
                dedupe_key=dedupe_key, period=period, release=release,
                locked=not _posting_order_locks)


__all__ = [
    "AccountKind",
    "account_for",
    "accounts_for",
    "lock_accounts",
    "pair_accounts",
    "post",
    "sweep",
    "transfer",
]
