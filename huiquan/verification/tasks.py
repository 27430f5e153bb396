"""Background tasks of claim documents (django-tasks, run by ``huiquan worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def check_submission(submission_id: int, version: int) -> str:
    """Run every automatic check of one sent version and move it to review. Idempotent: a
    version that is no longer being checked (re-sent, already done) is left alone."""
    from huiquan.redemptions.verification_reads import sale_for_documents
    from huiquan.verification import checks, services
    from huiquan.verification.models import Submission, SubmissionState

    submission = Submission.objects.filter(pk=submission_id, version=version,
                                           state=SubmissionState.CHECKING).first()
    if submission is None:
        return "skipped"
    sale = sale_for_documents(submission.redemption_id)
    results, phashes = checks.evaluate(submission, sale)
    done = services.record_checks(submission_id=submission_id, version=version,
                                  results=results, phashes=phashes)
    failed = [r.rule for r in results if r.outcome == "fail"]
    return ("checked" if done else "skipped") + (f": {', '.join(failed)}" if failed else "")
