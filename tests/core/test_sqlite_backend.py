"""The SQLite backend (huiquan/core/sqlite/base.py): placeholders, and checkpoints outside the
write lock, so that no writer waits behind copying the log into the database file."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from huiquan.core.models import User
from huiquan.core.roles import Role
from huiquan.core.sqlite import base as backend

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'sqlite'"),
]


def _write(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            User.objects.create(username=f"cp{i}", role=Role.CONSUMER)


def test_commits_are_checkpointed_after_the_write_lock_is_released(monkeypatch):  # type: ignore[no-untyped-def]
    calls: list[tuple[bool, object]] = []
    real = backend.DatabaseWrapper._checkpoint_if_due

    def spy(self):  # type: ignore[no-untyped-def]
        held = self._writelock_held
        calls.append((held, real(self)))
        return calls[-1][1]

    monkeypatch.setattr(backend.DatabaseWrapper, "_checkpoint_if_due", spy)
    monkeypatch.setattr(backend, "CHECKPOINT_EVERY", 0.0)
    _write(3)
    assert len(calls) == 3
    assert not any(held for held, _ in calls)  # never while other writers queue on the lock
    busy, logged, copied = calls[-1][1]  # type: ignore[misc]
    assert busy == 0 and logged > 0 and copied == logged  # the whole log is in the file


def test_between_checkpoints_commits_do_not_checkpoint(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(backend, "CHECKPOINT_EVERY", 1e9)
    ran = []
    real = backend.DatabaseWrapper._checkpoint_if_due
    monkeypatch.setattr(backend.DatabaseWrapper, "_checkpoint_if_due",
                        lambda self: ran.append(real(self)))
    _write(2)
    assert ran == [None, None]
    with connection.cursor() as cursor:  # SQLite's own checkpoint only as a far backstop
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == backend.BACKSTOP_PAGES


def test_placeholders_are_rewritten_as_django_does():  # type: ignore[no-untyped-def]
    assert backend._qmark("SELECT %s, '%%s', %s") == "SELECT ?, '%s', ?"
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s || '%%'", ["50"])
        assert cursor.fetchone()[0] == "50%"
