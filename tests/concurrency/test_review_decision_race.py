"""Two reviewers decide the same claim submission at once (R-DOC-2; PostgreSQL).

A decision locks the submission row and its write is conditional on the state and version it
was checked against: the second reviewer waits, then gets ``REVIEW_STATE`` (or, for the same
reviewer's second approval above the four-eyes amount, ``SECOND_REVIEWER_REQUIRED``) — one
decision, one audit entry. With the guards off (the twins) both pass their checks before either
writes, and two decisions are recorded on the same version."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.core import clock
from huiquan.core.errors import DomainError
from huiquan.core.roles import Role
from huiquan.verification import services
from huiquan.verification.models import Decision, ReviewDecision, Submission, SubmissionState
from tests.concurrency.conftest import (
    postgresql_only,
    record_outcome,
    wait_until_someone_waits_for_a_lock,
)
from tests.merchant_fixtures import aircon, redeem_at

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True), postgresql_only]

SMALL_FEN = 500_000  # subsidy under the campaign's four-eyes amount: one approval decides
BIG_FEN = 1_500_000  # subsidy 1,500 yuan > 1,000: a second, different reviewer must confirm


@pytest.fixture
def in_review(shop, holder):  # type: ignore[no-untyped-def]
    """A sent submission whose checks passed, waiting for a reviewer (made directly: sending
    and checking have their own tests)."""

    def make(price_fen: int) -> Submission:
        sale = redeem_at(shop, holder().voucher, [aircon(price_fen)])
        now = clock.now()
        return Submission.objects.create(
            redemption=sale, merchant_id=sale.merchant_id, campaign_id=sale.campaign_id,
            state=SubmissionState.IN_REVIEW, version=1, due_at=now + timedelta(days=15),
            created_at=now, submitted_at=now)

    return make


@pytest.fixture
def reviewers(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.REVIEWER, "reviewer-a"), make_user(Role.REVIEWER, "reviewer-b")


def _approve(who: Any, submission: Submission, **kw: Any) -> Callable[[], Any]:
    return lambda: services.approve_submission(actor=who, submission_id=submission.pk, **kw)


def _reject(who: Any, submission: Submission, **kw: Any) -> Callable[[], Any]:
    return lambda: services.reject_submission(actor=who, submission_id=submission.pk,
                                              reason="发票抬头不是消费者", **kw)


def _correction(who: Any, submission: Submission, **kw: Any) -> Callable[[], Any]:
    return lambda: services.ask_correction(actor=who, submission_id=submission.pk,
                                           reason="付款凭证不清晰", **kw)


def _race(monkeypatch, first: Callable[[], Any], second: Callable[[], Any], *,  # type: ignore[no-untyped-def]
          second_waits: bool) -> dict[str, Any]:
    """Forced interleaving: ``first`` passes its checks and stops just before its write; then
    ``second`` runs — queued behind the row lock (guards on) or to its end (guards off) —
    and only then does ``first`` write."""
    paused, go = threading.Event(), threading.Event()

    def pausing(submission):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "first":
            paused.set()
            assert go.wait(timeout=30)

    monkeypatch.setattr(services, "before_decision_is_written", pausing)
    outcomes: dict[str, Any] = {}
    one = threading.Thread(name="first", target=record_outcome, args=(first, outcomes, "first"))
    two = threading.Thread(target=record_outcome, args=(second, outcomes, "second"))
    one.start()
    assert paused.wait(timeout=30)
    two.start()
    if second_waits:
        wait_until_someone_waits_for_a_lock()
    else:
        two.join(timeout=30)
    go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert not one.is_alive() and not two.is_alive()
    return outcomes


def _decisions(submission: Submission) -> list[tuple[str, str]]:
    return list(ReviewDecision.objects.filter(submission=submission, version=1)
                .order_by("pk").values_list("decision", "reviewer__username"))


def _code(outcome: Any) -> str:
    assert isinstance(outcome, DomainError), outcome
    return str(outcome.code)


@pytest.mark.parametrize(("first", "second", "state"), [
    (_approve, _reject, SubmissionState.APPROVED),
    (_reject, _approve, SubmissionState.REJECTED),
    (_correction, _reject, SubmissionState.CORRECTION),
])
def test_two_decisions_at_once_give_one_decision_and_one_clear_refusal(  # type: ignore[no-untyped-def]
        in_review, reviewers, monkeypatch, first, second, state):
    a, b = reviewers
    submission = in_review(SMALL_FEN)
    outcomes = _race(monkeypatch, first(a, submission), second(b, submission), second_waits=True)
    assert isinstance(outcomes["first"], Submission), outcomes
    assert _code(outcomes["second"]) == "REVIEW_STATE"
    submission.refresh_from_db()
    assert submission.state == state
    assert len(_decisions(submission)) == 1
    assert AuditEntry.objects.filter(object_type="submission").count() == 1


def test_without_the_guards_an_approval_and_a_rejection_are_both_recorded(  # type: ignore[no-untyped-def]
        in_review, reviewers, monkeypatch, unguarded):
    a, b = reviewers
    submission = in_review(SMALL_FEN)
    outcomes = _race(monkeypatch, _approve(a, submission), _reject(b, submission),
                     second_waits=False)
    assert isinstance(outcomes["first"], Submission), outcomes
    assert isinstance(outcomes["second"], Submission), outcomes
    assert sorted(_decisions(submission)) == [(Decision.APPROVE, "reviewer-a"),
                                              (Decision.REJECT, "reviewer-b")]
    submission.refresh_from_db()
    assert submission.state == SubmissionState.APPROVED  # the last write wins over a rejection
    actions = sorted(AuditEntry.objects.filter(object_type="submission")
                     .values_list("action", flat=True))
    assert actions == ["submission.approve", "submission.reject"]


# --- four-eyes (a subsidy above the campaign's amount) ------------------------------------------

def test_one_reviewers_two_approvals_at_once_do_not_pass_four_eyes(  # type: ignore[no-untyped-def]
        in_review, reviewers, monkeypatch):
    """The same reviewer clicks "审核通过" twice at once (two tabs): the first is the first
    approval; the second, having waited, finds it is now the confirmation and is refused as
    the same person's."""
    a, _ = reviewers
    submission = in_review(BIG_FEN)
    outcomes = _race(monkeypatch, _approve(a, submission), _approve(a, submission),
                     second_waits=True)
    assert isinstance(outcomes["first"], Submission), outcomes
    assert _code(outcomes["second"]) == "SECOND_REVIEWER_REQUIRED"
    submission.refresh_from_db()
    assert submission.state == SubmissionState.SECOND_REVIEW and submission.approved_at is None
    assert _decisions(submission) == [(Decision.APPROVE, "reviewer-a")]


def test_two_first_approvals_at_once_do_not_become_a_confirmation_unawares(  # type: ignore[no-untyped-def]
        in_review, reviewers, monkeypatch):
    """Two reviewers approve from the same "in review" page: the second's click is refused
    (its page is stale) rather than silently read as the four-eyes confirmation."""
    a, b = reviewers
    submission = in_review(BIG_FEN)
    seen = (SubmissionState.IN_REVIEW.value, 1)
    outcomes = _race(monkeypatch, _approve(a, submission, seen=seen),
                     _approve(b, submission, seen=seen), second_waits=True)
    assert isinstance(outcomes["first"], Submission), outcomes
    assert _code(outcomes["second"]) == "REVIEW_STATE"
    submission.refresh_from_db()
    assert submission.state == SubmissionState.SECOND_REVIEW
    assert _decisions(submission) == [(Decision.APPROVE, "reviewer-a")]


def test_without_the_guards_one_reviewer_records_two_first_approvals(  # type: ignore[no-untyped-def]
        in_review, reviewers, monkeypatch, unguarded):
    a, _ = reviewers
    submission = in_review(BIG_FEN)
    outcomes = _race(monkeypatch, _approve(a, submission), _approve(a, submission),
                     second_waits=False)
    assert isinstance(outcomes["first"], Submission), outcomes
    assert isinstance(outcomes["second"], Submission), outcomes
    assert _decisions(submission) == [(Decision.APPROVE, "reviewer-a")] * 2
