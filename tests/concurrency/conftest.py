"""Real threads against a real database (a SQLite file in WAL mode, or PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections

from huiquan.ledger.models import Account


def run_concurrently(fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
    """Run fn(*args) for each args in its own thread, all released at once.

    Returns, in order, each call's return value or the exception it raised.
    """
    start = threading.Barrier(len(calls), timeout=30)
    results: list[Any] = [None] * len(calls)

    def worker(index: int, args: tuple[Any, ...]) -> None:
        try:
            start.wait()
            results[index] = fn(*args)
        except BaseException as exc:  # the test inspects every outcome
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    return results


def record_outcome(fn: Callable[[], Any], outcomes: dict[str, Any], name: str) -> None:
    """For a thread of a forced interleaving: ``outcomes[name]`` = what ``fn()`` returned or
    raised; the thread's database connection is closed after."""
    try:
        outcomes[name] = fn()
    except Exception as exc:  # the test inspects every outcome
        outcomes[name] = exc
    finally:
        connections.close_all()


@pytest.fixture
def unguarded(settings) -> Iterator[None]:
    """Switch the protection off (test-only): no conditional updates, no locks, and no database
    CHECK on pool balances — so a race test can show the race it is there to catch."""
    original = Account._meta.constraints
    constraint = next(c for c in original if c.name == "account_pool_not_negative")
    # SQLite drops a CHECK by rebuilding the table from the model's constraints list.
    Account._meta.constraints = [c for c in original if c is not constraint]
    try:
        with connection.schema_editor() as editor:
            editor.remove_constraint(Account, constraint)
        settings.HUIQUAN_UNSAFE_DISABLE_GUARDS = True
        yield
    finally:
        settings.HUIQUAN_UNSAFE_DISABLE_GUARDS = False
        Account._meta.constraints = original
        call_command("flush", interactive=False, verbosity=0)  # negative rows block the CHECK
        with connection.schema_editor() as editor:
            editor.add_constraint(Account, constraint)


# SQLite cannot deadlock and has no row locks to wait for: every transaction is BEGIN IMMEDIATE,
# which takes the database's single write lock at its start, so one writer runs at a time and no
# two transactions ever each hold something the other wants. The lock-order tests are
# PostgreSQL's.
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite cannot deadlock: BEGIN IMMEDIATE takes the one database write lock at the "
           "start of every transaction, so writers queue whole; row-lock order is PostgreSQL's")


def wait_until_someone_waits_for_a_lock(timeout: float = 20) -> None:
    """Return once another connection of this test database is waiting for a row lock
    (PostgreSQL's pg_stat_activity), so a forced interleaving knows its second writer is queued."""
    import time

    pause = threading.Event()
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return
            pause.wait(0.01)  # polling a condition, with a deadline: no time is being moved
    raise AssertionError("no connection ever waited for a lock")
