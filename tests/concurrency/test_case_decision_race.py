"""Two market-supervision officers decide the same case at once (R-INT-1; PostgreSQL).

The decision locks the case row and its update is conditional on the case still being open:
the second officer waits, then gets "already decided" — one decision, one audit entry. With the
guards off (the twin) both pass the check before either writes, and the case is decided twice."""

from __future__ import annotations

import threading

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.core.errors import DomainError
from huiquan.core.roles import Role
from huiquan.integrity import services
from huiquan.integrity.models import Case
from tests.concurrency.conftest import (
    postgresql_only,
    record_outcome,
    wait_until_someone_waits_for_a_lock,
)

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True), postgresql_only]


@pytest.fixture
def case(campaign, make_merchant, make_user):  # type: ignore[no-untyped-def]
    officer = make_user(Role.MARKET)
    shop = make_merchant()
    return services.open_case(actor=officer, campaign=campaign, merchant_id=shop.pk,
                              complaint="消费者投诉：虚构交易"), officer


def _race(campaign, case, officer, monkeypatch, *, second_waits: bool):  # type: ignore[no-untyped-def]
    paused, go = threading.Event(), threading.Event()

    def pausing(case):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "first":
            paused.set()
            assert go.wait(timeout=30)

    monkeypatch.setattr(services, "before_decision_is_written", pausing)
    outcomes: dict[str, object] = {}

    def decide(decision: str):  # type: ignore[no-untyped-def]
        return lambda: services.decide_case(actor=officer, campaign=campaign, case_id=case.pk,
                                            decision=decision, reason="处理")

    first = threading.Thread(name="first", target=record_outcome,
                             args=(decide("warning"), outcomes, "first"))
    second = threading.Thread(target=record_outcome,
                              args=(lambda: services.decide_case(
                                  actor=officer, campaign=campaign, case_id=case.pk,
                                  decision="referral", reason="处理", referred_to="县公安局"),
                                    outcomes, "second"))
    first.start()
    assert paused.wait(timeout=30)
    second.start()
    if second_waits:
        wait_until_someone_waits_for_a_lock()
    else:
        second.join(timeout=30)
    go.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert not first.is_alive() and not second.is_alive()
    return outcomes


def test_two_decisions_at_once_give_one_decision_and_one_clear_refusal(campaign, case,
                                                                       monkeypatch):
    case, officer = case
    outcomes = _race(campaign, case, officer, monkeypatch, second_waits=True)
    assert isinstance(outcomes["first"], Case)
    refused = outcomes["second"]
    assert isinstance(refused, DomainError) and refused.code == "CASE_ALREADY_DECIDED"
    assert Case.objects.get(pk=case.pk).decision == "warning"
    assert AuditEntry.objects.filter(action="integrity.case_decide").count() == 1


def test_without_the_guards_the_case_is_decided_twice(campaign, case, monkeypatch, unguarded):
    case, officer = case
    outcomes = _race(campaign, case, officer, monkeypatch, second_waits=False)
    assert isinstance(outcomes["first"], Case) and isinstance(outcomes["second"], Case)
    assert AuditEntry.objects.filter(action="integrity.case_decide").count() == 2
