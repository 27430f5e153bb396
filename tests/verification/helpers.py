"""A sent submission, checked (the task called directly, as the worker would)."""

from __future__ import annotations

from typing import Any

from huiquan.verification import services
from huiquan.verification.tasks import check_submission
from tests.verification.factories import fill_submission


def sent(sale: Any, seed: int = 1, uploads: dict[str, bytes] | None = None,
         **facts: str) -> Any:
    submission = services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)
    fill_submission(submission, sale.user, sale.redemption, seed=seed, **facts)
    for kind, data in (uploads or {}).items():
        services.add_document(actor=sale.user, submission_id=submission.pk, kind=kind,
                              name=f"{kind}.png", data=data)
    submission = services.send_submission(actor=sale.user, submission_id=submission.pk)
    check_submission.call(submission_id=submission.pk, version=submission.version)
    submission.refresh_from_db()
    return submission


def outcomes(submission: Any) -> dict[str, str]:
    return dict(submission.checks.filter(version=submission.version)
                .values_list("rule", "outcome"))
