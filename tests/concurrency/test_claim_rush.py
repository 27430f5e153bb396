"""Invariant 4 under a real rush: more people than vouchers, with duplicates, on real threads.
Exactly the release's count is issued, nobody twice, no crash, reconcile green — and with the
protection switched off the same rush oversells."""

from __future__ import annotations

import threading

import pytest

from huiquan.campaigns.models import Release
from huiquan.campaigns.services import confirm_release, receive_funds
from huiquan.core.errors import DomainError
from huiquan.reconcile import reconcile
from huiquan.vouchers import services
from huiquan.vouchers.models import Voucher
from tests.concurrency.conftest import run_concurrently
from tests.conftest import INSIDE_LINFEN

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]
VOUCHERS = 10


@pytest.fixture
def small_release(campaign, finance, bureau, clock):
    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000_00,
                  reference="x", actor=finance)
    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=VOUCHERS * 2_000_00, reason="小批次测试",
                    actor=bureau)
    clock.set("2024-06-21T10:00:00+08:00")
    return Release.objects.get(pk=release.pk)


def _rush(release, people):
    def claim(session, key):
        return services.claim_voucher(consumer=session.consumer, release_id=release.pk,
                                      idempotency_key=key, **INSIDE_LINFEN)

    # each person taps twice with different keys, and some replay a key
    calls = [(p, f"k{i}") for i, p in enumerate(people)]
    calls += [(p, f"k{i}-again") for i, p in enumerate(people[:10])]
    calls += [(p, f"k{i}") for i, p in enumerate(people[10:15], start=10)]
    return run_concurrently(claim, calls)


def _no_place_lost(release):
    """Issued + remaining is the release's count; with the Redis gate, the gate agrees."""
    from huiquan.vouchers import gate

    release.refresh_from_db()
    assert Voucher.objects.filter(release=release).count() + release.remaining_count == VOUCHERS
    if gate.enabled():
        assert gate.peek(release) == release.remaining_count


def test_a_rush_issues_exactly_the_release_and_nobody_twice(small_release, make_consumer):
    people = [make_consumer() for _ in range(30)]
    results = _rush(small_release, people)
    crashes = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    assert crashes == []
    codes = {r.code for r in results if isinstance(r, DomainError)}
    assert codes <= {"SOLD_OUT", "ALREADY_CLAIMED"}, codes
    _no_place_lost(small_release)
    # With the gate, a twin request may give its place back after the crowd was turned away;
    # people keep tapping in a rush, and the next wave takes what is left — never more.
    late = [make_consumer() for _ in range(5)]
    run_concurrently(lambda s: services.claim_voucher(consumer=s.consumer,
                                                      release_id=small_release.pk,
                                                      **INSIDE_LINFEN), [(p,) for p in late])
    assert Voucher.objects.count() == VOUCHERS
    assert Voucher.objects.values("consumer").distinct().count() == VOUCHERS
    assert Release.objects.get(pk=small_release.pk).remaining_count == 0
    rec = reconcile(small_release.period.campaign)
    assert rec.ok, rec.table()


def test_without_the_protection_the_same_rush_oversells(small_release, make_consumer,
                                                        unguarded):
    people = [make_consumer() for _ in range(20)]
    services._between_read_and_write = threading.Barrier(20, timeout=30).wait

    def claim(session):
        return services.claim_voucher(consumer=session.consumer, release_id=small_release.pk,
                                      **INSIDE_LINFEN)

    try:
        run_concurrently(claim, [(p,) for p in people])
    finally:
        services._between_read_and_write = None
    assert Voucher.objects.count() > VOUCHERS  # every one of them read "10 left"
    assert not reconcile(small_release.period.campaign).ok
