"""The merchant's submission and the reviewers' decisions (R-DOC-1..3), through the services."""

from __future__ import annotations

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.core.errors import DomainError
from huiquan.redemptions.errors import RedemptionNotFound
from huiquan.verification import services
from huiquan.verification.models import CheckResult, Document, Submission, SubmissionState
from huiquan.verification.tasks import check_submission
from tests.merchant_fixtures import error_code
from tests.verification.factories import fill_submission, photo
from tests.verification.helpers import sent

pytestmark = pytest.mark.django_db


def test_a_good_submission_is_checked_clean_and_waits_for_review(sale):
    submission = sent(sale)
    assert submission.state == SubmissionState.IN_REVIEW
    assert submission.version == 1
    outcomes = dict(CheckResult.objects.filter(submission=submission)
                    .values_list("rule", "outcome"))
    assert outcomes == {rule: "pass" for rule in outcomes} and len(outcomes) == 11, outcomes


def test_the_phone_is_prefilled_from_the_sale(sale):
    submission = services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)
    assert submission.phone == sale.redemption.consumer.phone
    assert services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk) == submission


def test_another_shops_sale_is_refused_and_nothing_is_made(sale, make_merchant):
    other = make_merchant()
    with pytest.raises(RedemptionNotFound):
        services.open_submission(actor=other.till_user, redemption_id=sale.redemption.pk)
    assert Submission.objects.count() == 0
    mine = services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)
    assert error_code(lambda: services.save_facts(
        actor=other.till_user, submission_id=mine.pk, raw={"phone": "13900000000"})) == \
        "SUBMISSION_NOT_FOUND"
    assert error_code(lambda: services.add_document(
        actor=other.till_user, submission_id=mine.pk, kind="id_card", name="a.jpg",
        data=photo(1))) == "SUBMISSION_NOT_FOUND"


def test_sending_an_incomplete_draft_names_what_is_missing(sale):
    submission = services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)
    with pytest.raises(DomainError) as info:
        services.send_submission(actor=sale.user, submission_id=submission.pk)
    assert info.value.code == "SUBMISSION_INCOMPLETE"
    assert "发票号码" in info.value.message and "能效标识照片" in info.value.message


def test_a_draft_is_saved_and_finished_later(sale):
    submission = services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)
    services.save_facts(actor=sale.user, submission_id=submission.pk,
                        raw={"phone": sale.redemption.consumer.phone, "invoice_number": "１２３４５６７８"})
    submission.refresh_from_db()
    assert submission.state == SubmissionState.DRAFT and submission.invoice_number == "12345678"
    assert sent(sale).state == SubmissionState.IN_REVIEW


def test_a_wrong_phone_is_refused_on_sending(sale):
    submission = services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)
    fill_submission(submission, sale.user, sale.redemption, phone="13999999999")
    assert error_code(lambda: services.send_submission(
        actor=sale.user, submission_id=submission.pk)) == "FACT_INVALID"


def test_late_submission_is_refused_with_the_date(sale, clock):
    submission = services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)
    due = submission.due_at
    # Release 1 expires Wednesday 2024-06-26 22:00; 15 days later is 2024-07-11 22:00.
    assert due.strftime("%Y-%m-%d %H:%M") == "2024-07-11 22:00"
    clock.set("2024-07-11T22:00:01+08:00")
    with pytest.raises(DomainError) as info:
        services.save_facts(actor=sale.user, submission_id=submission.pk, raw={})
    assert info.value.code == "SUBMISSION_LATE" and "2024-07-11 22:00" in info.value.message


def test_edit_after_sending_or_approval_is_refused(sale, reviewer):
    submission = sent(sale)
    for call in (lambda: services.save_facts(actor=sale.user, submission_id=submission.pk,
                                             raw={"invoice_number": "99999999"}),
                 lambda: services.add_document(actor=sale.user, submission_id=submission.pk,
                                               kind="goods_photo", name="x.jpg", data=photo(9)),
                 lambda: services.send_submission(actor=sale.user, submission_id=submission.pk)):
        assert error_code(call) == "SUBMISSION_LOCKED"
    services.approve_submission(actor=reviewer, submission_id=submission.pk)
    files_before = Document.objects.count()
    with pytest.raises(DomainError) as info:
        services.add_document(actor=sale.user, submission_id=submission.pk, kind="goods_photo",
                              name="x.jpg", data=photo(9))
    assert info.value.code == "SUBMISSION_LOCKED" and "审核通过" in info.value.message
    assert Document.objects.count() == files_before
    submission.refresh_from_db()
    assert submission.state == SubmissionState.APPROVED


def test_correction_round_trip_keeps_the_history(sale, reviewer):
    submission = sent(sale)
    services.ask_correction(actor=reviewer, submission_id=submission.pk,
                            reason="付款凭证照片看不清，请重拍")
    services.add_document(actor=sale.user, submission_id=submission.pk, kind="payment_proof",
                          name="pay.jpg", data=photo(77))
    services.send_submission(actor=sale.user, submission_id=submission.pk)
    check_submission.call(submission_id=submission.pk, version=2)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.IN_REVIEW and submission.version == 2
    assert CheckResult.objects.filter(submission=submission).count() == 22  # both versions
    assert Document.objects.filter(submission=submission, kind="payment_proof").count() == 2
    assert list(submission.decisions.values_list("decision", "version")) == [("correction", 1)]


def test_reasons_are_required_to_reject_or_ask_for_correction(sale, reviewer):
    submission = sent(sale)
    for call in (services.reject_submission, services.ask_correction):
        assert error_code(lambda call=call: call(actor=reviewer, submission_id=submission.pk,
                                                 reason="  ")) == "DECISION_REASON_REQUIRED"


def test_four_eyes_above_the_campaigns_amount(make_sale, reviewer, make_user):
    big = make_sale(price_fen=1_500_000)  # subsidy 1,500 yuan > 1,000 (the campaign file)
    submission = sent(big)
    services.approve_submission(actor=reviewer, submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.SECOND_REVIEW
    assert error_code(lambda: services.approve_submission(
        actor=reviewer, submission_id=submission.pk)) == "SECOND_REVIEWER_REQUIRED"
    second = make_user("reviewer", "reviewer-2")
    services.approve_submission(actor=second, submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.APPROVED and submission.approved_at
    assert list(submission.decisions.values_list("decision", flat=True)) == ["approve", "confirm"]
    actions = set(AuditEntry.objects.filter(object_type="submission")
                  .values_list("action", flat=True))
    assert {"submission.approve", "submission.confirm", "submission.send"} <= actions


def test_a_failing_check_blocks_approval(sale, reviewer):
    submission = sent(sale, invoice_buyer_name="李四")
    assert error_code(lambda: services.approve_submission(
        actor=reviewer, submission_id=submission.pk)) == "CHECKS_NOT_PASSED"
    services.reject_submission(actor=reviewer, submission_id=submission.pk, reason="发票抬头不是消费者")
    submission.refresh_from_db()
    assert submission.state == SubmissionState.REJECTED


def test_only_reviewers_decide(sale, auditor, bureau):
    submission = sent(sale)
    for user in (auditor, bureau, sale.user):
        assert error_code(lambda user=user: services.approve_submission(
            actor=user, submission_id=submission.pk)) == "FORBIDDEN"


def test_a_sending_whose_task_was_lost_is_queued_again_by_tick(sale, settings, clock):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": ["default"]}}
    submission = services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)
    fill_submission(submission, sale.user, sale.redemption)
    services.send_submission(actor=sale.user, submission_id=submission.pk)  # its task is lost
    assert DBTaskResult.objects.count() == 0
    assert services.requeue_stale_checks() == 0  # not stale yet
    clock.advance(minutes=11)
    assert services.requeue_stale_checks() == 1
    assert services.requeue_stale_checks() == 0  # already waiting in the queue
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["kwargs"] == {"submission_id": submission.pk, "version": 1}
    check_submission.call(**queued.args_kwargs["kwargs"])
    submission.refresh_from_db()
    assert submission.state == SubmissionState.IN_REVIEW
