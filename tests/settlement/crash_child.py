"""A child process of test_crash.py: takes the campaign's settlement as far as it goes —
run, approve, bank file, the bank's answer (every line paid) — dying where
``HUIQUAN_TEST_CRASH_AT`` names (huiquan/core/faults.py). Run again, it finishes the job.

    python -m tests.settlement.crash_child CREATOR_ID APPROVER_ID
"""

from __future__ import annotations

import os
import sys


def finish(creator: object, approver: object) -> None:
    from huiquan.campaigns.models import Campaign
    from huiquan.core.errors import DomainError
    from huiquan.settlement import bankfiles, services
    from huiquan.settlement.models import OPEN_STATES, PayoutState, RunState, SettlementRun
    from tests.settlement.support import answer

    campaign = Campaign.objects.get()
    run = SettlementRun.objects.filter(campaign=campaign, state__in=OPEN_STATES).first()
    if run is None:
        try:
            run = services.run_settlement(campaign=campaign, actor=creator)
        except DomainError as exc:
            if exc.code != "SETTLEMENT_EMPTY":
                raise
    if run is not None and run.state == RunState.COLLECTED:
        services.approve_run(run=run, actor=approver)
    if run is not None and run.state == RunState.APPROVED:
        bankfiles.export_run(run=run, actor=approver)
    for exported in SettlementRun.objects.filter(campaign=campaign, state=RunState.EXPORTED):
        for bank_file in exported.files.order_by("number"):
            if exported.payouts.filter(pk__in=bank_file.payout_ids,
                                       state=PayoutState.SENT).exists():
                bankfiles.import_answer(run=exported, name="answer.csv", actor=approver,
                                        data=answer(bank_file))


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiquan.settings")
    import django

    django.setup()
    from huiquan.core.models import User

    creator, approver = (User.objects.get(pk=int(n)) for n in argv)
    finish(creator, approver)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
