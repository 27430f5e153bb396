"""Invariants 2, 3 and 9 under real concurrency: releases drawn from one pool at once, a double
confirmation, tick run by several workers, and the audit chain with concurrent writers (on
PostgreSQL: SQLite's BEGIN IMMEDIATE lets one writer at a time read the head, so there is no race
to show there).

Each storm also runs with the protection switched off and shows the race happening."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connections, transaction

from huiquan.audit import services as audit_services
from huiquan.audit.models import AuditEntry
from huiquan.audit.selectors import verify_chain
from huiquan.audit.services import record
from huiquan.campaigns import services
from huiquan.campaigns.errors import FundsNotReceived, ReleaseAlreadyConfirmed
from huiquan.campaigns.models import Release
from huiquan.core.errors import DomainError
from huiquan.ledger.models import NEGATIVE_KINDS, Account, LedgerTransaction, TxKind
from huiquan.reconcile import reconcile
from tests.concurrency.conftest import (
    postgresql_only,
    run_concurrently,
    wait_until_someone_waits_for_a_lock,
)

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]
HALF_A_RELEASE = 150_000_00


@pytest.fixture
def funded(campaign, finance):
    """600,000 yuan received: enough for exactly four releases of 150,000."""
    services.receive_funds(source=campaign.funding_sources.get(code="city"),
                           amount_fen=360_000_00, reference="临财〔2024〕1号", actor=finance)
    return campaign


def _storm(campaign, bureau):
    releases = list(Release.objects.filter(period__campaign=campaign).order_by("number"))
    assert len(releases) == 6

    def confirm(release):
        return services.confirm_release(release=release, amount_fen=HALF_A_RELEASE,
                                        reason="并发测试", actor=bureau)

    return run_concurrently(confirm, [(r,) for r in releases])


def _negative_pools(campaign):
    return [a.code for a in Account.objects.filter(campaign=campaign)
            if a.kind not in NEGATIVE_KINDS and a.balance_fen < 0]


def test_six_releases_drawing_on_money_for_four_confirm_exactly_four(funded, bureau):
    results = _storm(funded, bureau)
    confirmed = [r for r in results if isinstance(r, Release)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(confirmed) == 4
    assert len(refused) == 2 and all(r.code in {"FUNDS_NOT_RECEIVED", "INSUFFICIENT_FUNDS"}
                                     for r in refused), results
    assert _negative_pools(funded) == []
    assert Release.objects.filter(confirmed_at__isnull=False).count() == 4
    rec = reconcile(funded)
    assert rec.ok, rec.table()
    assert verify_chain().ok


def test_without_the_protection_the_same_storm_oversells(funded, bureau, unguarded):
    """The check-then-write shape with every thread past the check before anyone writes."""
    services._after_unguarded_check = threading.Barrier(6, timeout=30).wait
    try:
        results = _storm(funded, bureau)
    finally:
        services._after_unguarded_check = None
    confirmed = [r for r in results if isinstance(r, Release)]
    assert len(confirmed) > 4, results  # more money released than was received
    assert _negative_pools(funded) != []
    assert not reconcile(funded).ok


def test_a_release_confirmed_from_six_windows_at_once_is_confirmed_once(funded, bureau):
    release = Release.objects.get(period__number=1, number=1)

    def confirm():
        return services.confirm_release(release=release, amount_fen=300_000_00, actor=bureau)

    results = run_concurrently(confirm, [()] * 6)
    assert sum(isinstance(r, Release) for r in results) == 1
    assert sum(isinstance(r, ReleaseAlreadyConfirmed) for r in results) == 5, results
    assert LedgerTransaction.objects.filter(kind=TxKind.FUND_RELEASE).count() == 1
    assert reconcile(funded).ok


def test_tick_on_four_workers_returns_an_expired_release_once(funded, bureau, clock):
    release = Release.objects.get(period__number=1, number=1)
    services.confirm_release(release=release, amount_fen=300_000_00, actor=bureau)
    clock.set("2024-06-26T22:00:00+08:00")
    results = run_concurrently(lambda: services.perform_due_transitions(campaign=funded),
                               [()] * 4)
    assert all(isinstance(r, list) for r in results), results
    assert sum(len(r) for r in results) == 1
    assert LedgerTransaction.objects.filter(kind=TxKind.RELEASE_RETURN).count() == 1
    assert reconcile(funded).ok


def _write_entry(i):  # type: ignore[no-untyped-def]
    with transaction.atomic():
        record(actor=None, action="test.concurrent", obj_type="test", obj_id=i)
    return i


def _write_and_close(i):  # type: ignore[no-untyped-def]
    try:
        _write_entry(i)
    finally:
        connections.close_all()


@pytest.fixture
def links(monkeypatch):  # type: ignore[no-untyped-def]
    """(seq, predecessor's hash) as each writer computed them."""
    seen: list[tuple[int, str]] = []
    real = audit_services.compute_hash

    def spy(**kwargs):  # type: ignore[no-untyped-def]
        seen.append((kwargs["seq"], kwargs["prev_hash"]))
        return real(**kwargs)

    monkeypatch.setattr(audit_services, "compute_hash", spy)
    return seen


@postgresql_only
def test_concurrent_writers_keep_one_linear_audit_chain(funded, links):  # type: ignore[no-untyped-def]
    """The first writer pauses after reading the head; the second must queue for the head's
    lock (not read the same head); then eight write at once. Nobody links to the same
    predecessor, the sequence has no gap, the chain verifies."""
    start = AuditEntry.objects.count()
    paused, go = threading.Event(), threading.Event()

    def hook() -> None:
        if threading.current_thread().name == "first":
            paused.set()
            assert go.wait(timeout=30)

    audit_services._between_head_and_write = hook
    try:
        first = threading.Thread(target=_write_and_close, args=(0,), name="first")
        first.start()
        assert paused.wait(timeout=30)
        second = threading.Thread(target=_write_and_close, args=(1,))
        second.start()
        wait_until_someone_waits_for_a_lock()
        go.set()
        first.join(timeout=60)
        second.join(timeout=60)
    finally:
        audit_services._between_head_and_write = None
    results = run_concurrently(_write_entry, [(i,) for i in range(2, 10)])
    assert sorted(results) == list(range(2, 10))
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, start + 11))
    assert len({prev for _, prev in links}) == len(links) == 10  # never two on one predecessor
    assert verify_chain().ok


@postgresql_only
def test_without_the_head_lock_concurrent_writers_fork_the_chain(funded, links, settings):  # type: ignore[no-untyped-def]
    """The twin: without the head's row lock, four writers read the same head and each link a
    new entry to it — a fork; only the unique sequence number keeps all but one of them out of
    the table, and those writers crash (a 500 in production)."""
    settings.HUIQUAN_UNSAFE_DISABLE_GUARDS = True
    audit_services._between_head_and_write = threading.Barrier(4, timeout=30).wait
    try:
        results = run_concurrently(_write_entry, [(i,) for i in range(4)])
    finally:
        audit_services._between_head_and_write = None
    assert len(links) == 4 and len(set(links)) == 1  # the same seq on the same predecessor
    assert sum(isinstance(r, IntegrityError) for r in results) == 3, results


def test_refusals_under_load_are_domain_errors_not_crashes(funded, bureau):
    """Invariant 8: the losers get FUNDS_NOT_RECEIVED or INSUFFICIENT_FUNDS, never a crash."""
    results = _storm(funded, bureau)
    for r in results:
        assert isinstance(r, (Release, FundsNotReceived, DomainError)), repr(r)
