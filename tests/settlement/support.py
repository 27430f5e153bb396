"""Steps of a settlement as finance does them, for tests."""

from __future__ import annotations

from typing import Any

from huiquan.reconcile import reconcile
from huiquan.settlement import bankfiles, services
from huiquan.settlement.models import BankFile, SettlementRun


def answer(bank_file: BankFile, *, failed: frozenset[int] = frozenset(),
           edit: Any = None) -> bytes:
    """The bank's answer to a file, as CSV: every line paid except ``failed`` payout ids;
    ``edit(rows)`` changes the rows first (a file edited by hand)."""
    import csv
    import io

    rows = bankfiles.rows(bank_file)
    rows[0] += bankfiles.ANSWER_HEADERS
    for row in rows[1:-1]:
        bad = int(row[0]) in failed
        row += ["失败" if bad else "成功", "" if bad else f"B{row[0]}", "账户已销户" if bad else ""]
    if edit is not None:
        edit(rows)
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def settle_fully(campaign: Any, creator: Any, approver: Any) -> SettlementRun:
    """Run, approve, export, and the bank pays every line."""
    run = services.run_settlement(campaign=campaign, actor=creator)
    services.approve_run(run=run, actor=approver)
    bank_file = bankfiles.export_run(run=run, actor=approver)
    bankfiles.import_answer(run=run, name="answer.csv", data=answer(bank_file), actor=approver)
    run.refresh_from_db()
    return run


def assert_reconciled(campaign: Any) -> None:
    rec = reconcile(campaign)
    assert rec.ok, rec.table()
