"""The checks run in the real background worker (``huiquan worker``, django-tasks with its
database backend): sending shows "checking", then the worker's task moves it to review with
every rule's result (issue 14 item 2)."""

from __future__ import annotations

import pytest

from huiquan.verification import services
from huiquan.verification.models import Submission, SubmissionState
from tests.concurrency.test_worker import start
from tests.processes import stop, wait_for
from tests.verification.factories import fill_submission

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_the_worker_runs_the_checks_of_a_sent_submission(sale, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": ["default"]}}
    # The worker's documents folder: HUIQUAN_VAR_DIR/media/documents (settings.DOCUMENTS_DIR).
    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media" / "documents")}}}
    submission = services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)
    fill_submission(submission, sale.user, sale.redemption)
    services.send_submission(actor=sale.user, submission_id=submission.pk)
    assert Submission.objects.get(pk=submission.pk).state == SubmissionState.CHECKING
    worker, log = start(tmp_path, "worker", "worker")
    try:
        done = wait_for(lambda: Submission.objects.get(pk=submission.pk).state
                        == SubmissionState.IN_REVIEW, timeout=120,
                        what="the worker to run the checks")
        assert done
    finally:
        stop(worker)
    checked = Submission.objects.get(pk=submission.pk)
    assert set(checked.checks.values_list("outcome", flat=True)) == {"pass"}, log.read_text()[-2000:]
    assert checked.checks.count() == 11
