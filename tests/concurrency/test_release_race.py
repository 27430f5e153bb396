"""Invariants 2, 3 and 9 under real concurrency: releases drawn from one pool at once, a double
confirmation, tick run by several workers, and the audit chain with concurrent writers.

Each storm also runs with the protection switched off and shows the race happening."""

from __future__ import annotations

import threading

import pytest
from django.db import transaction

from huiquan.audit.models import AuditEntry
from huiquan.audit.selectors import verify_chain
from huiquan.audit.services import record
from huiquan.campaigns import services
from huiquan.campaigns.errors import FundsNotReceived, ReleaseAlreadyConfirmed
from huiquan.campaigns.models import Release
from huiquan.core.errors import DomainError
from huiquan.ledger.models import NEGATIVE_KINDS, Account, LedgerTransaction, TxKind
from huiquan.ledger.selectors import reconcile
from tests.concurrency.conftest import run_concurrently

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


def test_concurrent_writers_keep_one_linear_audit_chain(funded):
    start = AuditEntry.objects.count()

    def write(i):
        with transaction.atomic():
            record(actor=None, action="test.concurrent", obj_type="test", obj_id=i)
        return i

    results = run_concurrently(write, [(i,) for i in range(8)])
    assert sorted(results) == list(range(8))
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, start + 9))
    assert verify_chain().ok


def test_refusals_under_load_are_domain_errors_not_crashes(funded, bureau):
    """Invariant 8: the losers get FUNDS_NOT_RECEIVED or INSUFFICIENT_FUNDS, never a crash."""
    results = _storm(funded, bureau)
    for r in results:
        assert isinstance(r, (Release, FundsNotReceived, DomainError)), repr(r)
