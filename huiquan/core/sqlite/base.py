"""SQLite with writers that queue in the kernel instead of SQLite's sleeping busy handler.

SQLite lets one writer in at a time. When a second process wants to write, Python's sqlite3
busy handler makes it sleep and retry in growing steps (up to 100 ms at a time), so under a
release-day rush most of the time is spent asleep while the lock is free. Here every write
transaction (BEGIN IMMEDIATE) first takes an exclusive flock on a file beside the database and
releases it at COMMIT/ROLLBACK: waiting writers are woken the moment the lock is free. The busy
timeout stays as a second guard for writes made outside transactions.

Checkpoints (copying the write-ahead log back into the database file, with an fsync) are moved
out of the write lock. SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000
log pages, while this process still holds the lock: every writer then waits 4–5 ms behind it,
several times a second on release day. Here the automatic one only stays as a backstop
(``BACKSTOP_PAGES``); after a COMMIT, with the lock already released, a process runs a PASSIVE
checkpoint (it waits for no reader or writer) when its last one is ``CHECKPOINT_EVERY`` seconds
old. The log stays short, and a commit reaches the database file within about a second.

Django's cursor also rewrites every statement's ``%s`` placeholders to SQLite's ``?`` with a
regular expression, on every execution; the same few statements run over and over on release
day, so the rewritten text is remembered (``_qmark``).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from functools import lru_cache
from typing import Any

from django.db.backends.sqlite3 import base

CHECKPOINT_EVERY = 1.0  # seconds, per process
BACKSTOP_PAGES = 10_000  # SQLite's own checkpoint (settings: PRAGMA wal_autocheckpoint), a backstop


@lru_cache(maxsize=4096)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class CursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)  # type: ignore[misc,no-any-return]


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._writelock_fd: int | None = None
        self._writelock_held = False
        self._checkpointed_at = time.monotonic()

    def create_cursor(self, name: Any = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)

    def _writelock_acquire(self) -> None:
        if self.is_in_memory_db():
            return
        if self._writelock_fd is None:
            path = f"{self.settings_dict['NAME']}.writelock"
            self._writelock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._writelock_fd, fcntl.LOCK_EX)
        self._writelock_held = True

    def _writelock_release(self) -> None:
        if self._writelock_held and self._writelock_fd is not None:
            fcntl.flock(self._writelock_fd, fcntl.LOCK_UN)
        self._writelock_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._writelock_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._writelock_release()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._writelock_release()
        self._checkpoint_if_due()

    def _checkpoint_if_due(self) -> tuple[int, int, int] | None:
        """(busy, log frames, frames copied) of the checkpoint run now, None when none was due
        or another process was running one."""
        now = time.monotonic()
        if now - self._checkpointed_at < CHECKPOINT_EVERY or self.is_in_memory_db():
            return None
        self._checkpointed_at = now
        try:
            row = self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.OperationalError:  # another process is checkpointing right now
            return None
        return tuple(row) if row else None  # type: ignore[return-value]

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._writelock_release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._writelock_release()
            if self._writelock_fd is not None:
                os.close(self._writelock_fd)
                self._writelock_fd = None
