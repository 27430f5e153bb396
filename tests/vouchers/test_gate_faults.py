"""Redis is a helper, never a single point of failure (issue 12, invariant 4, R-CLAIM-2).

A Redis flushed (or restarted) in the middle of a release, and a Redis that is down: claims are
still served exactly — exactly the release's count issued, nobody twice, and nobody told "sold
out" while the database still holds vouchers."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings as django_settings

from huiquan.campaigns.models import Release
from huiquan.core.errors import DomainError
from huiquan.reconcile import reconcile
from huiquan.vouchers import gate, services
from huiquan.vouchers.models import Voucher
from tests.concurrency.test_claim_rush import VOUCHERS, small_release  # noqa: F401 - fixture
from tests.conftest import INSIDE_LINFEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def release(small_release):  # type: ignore[no-untyped-def]  # noqa: F811 - the fixture above
    """Release 1 with 10 vouchers, open now."""
    return small_release


@pytest.fixture(autouse=True)
def _gate_state_of_this_process():  # type: ignore[no-untyped-def]
    """The gate remembers an outage per process; each test starts and ends without one."""
    def reset() -> None:
        gate._down_until, gate._outage = 0.0, False
        gate._client.cache_clear()
    reset()
    yield
    reset()


def _claim(person, release):  # type: ignore[no-untyped-def]
    """One claim; the answer, and what the database held when a SOLD_OUT was given."""
    try:
        return services.claim_voucher(consumer=person.consumer, release_id=release.pk,
                                      **INSIDE_LINFEN), None
    except DomainError as refused:
        held = Release.objects.get(pk=release.pk).remaining_count
        return refused, held


def _served_exactly(release, answers):  # type: ignore[no-untyped-def]
    assert Voucher.objects.filter(release=release).count() == VOUCHERS
    assert Voucher.objects.values("consumer").distinct().count() == VOUCHERS
    assert Release.objects.get(pk=release.pk).remaining_count == 0
    false_sold_out = [held for answer, held in answers
                      if isinstance(answer, DomainError) and answer.code == "SOLD_OUT" and held]
    assert false_sold_out == [], f"told sold out while the database held {false_sold_out}"
    rec = reconcile(release.period.campaign)
    assert rec.ok, rec.table()


@pytest.mark.skipif(not django_settings.REDIS_URL,
                    reason="needs Redis: runs in the PostgreSQL + Redis pass")
def test_a_redis_flush_mid_release_still_serves_exactly_the_release(
        release, make_consumer, monkeypatch, settings):  # type: ignore[no-untyped-def]
    import redis

    people = [make_consumer() for _ in range(VOUCHERS + 3)]
    answers = [_claim(p, release) for p in people[:3]]
    twice = people[3]
    # This person taps twice. The second tap is admitted by the gate; meanwhile the first tap
    # completes and Redis restarts empty; then the second tap is refused in its transaction
    # (ALREADY_CLAIMED) and gives its place back — into a gate that no longer has the key.
    real_admit = gate.admit
    meanwhile = [lambda: (answers.append(_claim(twice, release)),
                          redis.Redis.from_url(settings.REDIS_URL).flushdb())]

    def admit(*args):  # type: ignore[no-untyped-def]
        admitted = real_admit(*args)
        if meanwhile:
            meanwhile.pop()()
        return admitted

    monkeypatch.setattr(gate, "admit", admit)
    second_tap, _ = _claim(twice, release)
    assert isinstance(second_tap, DomainError) and second_tap.code == "ALREADY_CLAIMED"
    answers += [_claim(p, release) for p in people[4:]]
    _served_exactly(release, answers)
    assert gate.ttl(release) > 0  # the copy keeps an expiry: it never lingers for ever
    assert gate.peek(release) == 0


def test_with_redis_down_claims_are_served_by_the_database(release, make_consumer, settings,
                                                            caplog, client):  # type: ignore[no-untyped-def]
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there: connection refused
    gate._client.cache_clear()
    people = [make_consumer() for _ in range(VOUCHERS + 3)]
    with caplog.at_level(logging.WARNING, logger="huiquan.vouchers.gate"):
        # the first one over HTTP: a 201, never a 500
        response = client.post(f"/api/v1/releases/{release.pk}/claims", INSIDE_LINFEN,
                               content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {people[0].token}")
        assert response.status_code == 201, response.content
        answers = [_claim(p, release) for p in people[1:]]
        services.sync_gate()  # tick's re-copy does not fail either
    _served_exactly(release, answers)
    assert sum(isinstance(a, DomainError) and a.code == "SOLD_OUT" for a, _ in answers) == 3
    outage = [r for r in caplog.records if r.name == "huiquan.vouchers.gate"]
    assert len(outage) == 1 and "不可用" in outage[0].getMessage()  # logged once
