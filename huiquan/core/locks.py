"""Row locks, always in primary-key order, with a short timeout turned into ``Busy``.

On SQLite every transaction is BEGIN IMMEDIATE, so the database write lock is already held
and ``select_for_update`` is a no-op; on PostgreSQL these are real row locks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import OperationalError, connection, models
from django.db.models import QuerySet

from huiquan.core.errors import Busy, NotFound

M = TypeVar("M", bound=models.Model)

LOCK_TIMEOUT_MS = 5000
# PostgreSQL's "deadlock detected" and "lock not available" (lock_timeout): the transaction was
# rolled back and may simply be tried again — BUSY (503), never a 500.
BUSY_SQLSTATES = frozenset({"40P01", "55P03"})
BUSY_MESSAGE = "系统繁忙，请稍后再试"


def is_lock_failure(exc: BaseException) -> bool:
    """A deadlock or a lock timeout, as psycopg reports it (Django wraps it in its own
    OperationalError, with the driver's error as the cause)."""
    for candidate in (exc, exc.__cause__):
        if getattr(candidate, "sqlstate", None) in BUSY_SQLSTATES:
            return True
    return False


def as_busy(exc: BaseException) -> Busy | None:
    """The ``Busy`` error a deadlock or lock timeout stands for, else None."""
    if isinstance(exc, Busy):
        return exc
    if isinstance(exc, OperationalError) and is_lock_failure(exc):
        busy = Busy(BUSY_MESSAGE)
        busy.__cause__ = exc
        return busy
    return None


_SESSION_SETTING = f"lock_timeout={LOCK_TIMEOUT_MS}"


def _set_timeout() -> None:
    """On PostgreSQL, the lock timeout for this transaction — unless the connection was opened
    with it already (settings: ``-c lock_timeout=…``; one round trip fewer per lock)."""
    if connection.vendor == "postgresql":
        if _SESSION_SETTING in str(connection.settings_dict.get("OPTIONS", {}).get("options", "")):
            return
        with connection.cursor() as cur:
            cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")


@contextmanager
def waiting_for_locks() -> Iterator[None]:
    """Around a statement that takes row locks: wait at most LOCK_TIMEOUT_MS, then ``Busy``."""
    _set_timeout()
    try:
        yield
    except OperationalError as exc:
        raise Busy(BUSY_MESSAGE) from exc


def locked(queryset: QuerySet[M], *, no_key: bool = False, of: tuple[str, ...] = ()
           ) -> list[M]:
    """The rows of ``queryset``, locked in primary-key order, read fresh; a lock not granted
    within the timeout is ``Busy``.

    ``no_key``: PostgreSQL's FOR NO KEY UPDATE, which does not block other transactions from
    inserting rows that refer to this one (their foreign-key check takes KEY SHARE). Use it for
    parent rows such as a release that busy tills keep referring to. ``of``: with
    ``select_related``, which tables' rows to lock (``("self",)``: only the queried model's)."""
    with waiting_for_locks():
        return list(queryset.select_for_update(no_key=no_key, of=of).order_by("pk"))


def lock_rows(model: type[M], ids: Iterable[int], *, no_key: bool = False) -> dict[int, M]:
    """Lock rows of ``model`` by primary key, in ascending order; return them fresh."""
    rows = locked(model._default_manager.filter(pk__in=sorted(set(ids))), no_key=no_key)
    return {row.pk: row for row in rows}


def lock_one(model: type[M], pk: int, *, no_key: bool = False) -> M:
    rows = lock_rows(model, [pk], no_key=no_key)
    if pk not in rows:
        raise NotFound(f"要修改的记录不存在（{model._meta.verbose_name} {pk}）")
    return rows[pk]


def advisory(name: str) -> None:
    """A lock on a name (not a row) until the end of the caller's transaction: PostgreSQL's
    transaction-scoped advisory lock, waiting at most the lock timeout, then ``Busy``. SQLite's
    BEGIN IMMEDIATE already serializes every writing transaction, so nothing is done there.
    Callers that take several take them in one fixed order."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with waiting_for_locks(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
