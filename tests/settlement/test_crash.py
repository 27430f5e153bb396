"""A settlement killed at each step (a real process, ``os._exit`` as ``kill -9`` leaves it) and
run again pays each approved sale exactly once; the reconcile is green (issue 14, done when)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum

from huiquan.core.faults import CRASH_EXIT
from huiquan.ledger.models import AccountKind, Posting, TxKind
from huiquan.redemptions.models import Redemption
from huiquan.settlement.models import Payout, PayoutState, SettlementLine, SettlementRun
from tests.processes import PYTHON, ROOT, child_env
from tests.settlement.support import assert_reconciled

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

STEPS = ["settlement.after_lines", "settlement.collected", "settlement.approved",
         "settlement.exported", "settlement.answer_applied", "settlement.answered"]


def child(tmp_path: Path, creator: Any, approver: Any, crash_at: str | None = None) -> int:
    extra = {"HUIQUAN_TEST_CRASH_AT": crash_at} if crash_at else {}
    done = subprocess.run([PYTHON, "-m", "tests.settlement.crash_child", str(creator.pk),
                           str(approver.pk)], env=child_env(tmp_path, **extra), cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode in (0, CRASH_EXIT), done.stderr[-3000:]
    return done.returncode


@pytest.mark.parametrize("step", STEPS)
def test_killed_at_a_step_then_run_again_pays_each_sale_exactly_once(  # type: ignore[no-untyped-def]
        step, campaign, two_shops, approved_sale, finance, finance2, tmp_path):
    a, b = two_shops
    sales = [approved_sale(a), approved_sale(a, 400_000), approved_sale(b, 900_000)]
    assert child(tmp_path, finance, finance2, crash_at=step) == CRASH_EXIT
    if step == "settlement.after_lines":  # died inside the run's transaction: nothing kept
        assert not SettlementRun.objects.exists()
        assert not Redemption.objects.filter(settled_at__isnull=False).exists()
    assert child(tmp_path, finance, finance2) == 0
    assert child(tmp_path, finance, finance2) == 0  # and once more: nothing to do
    assert SettlementRun.objects.count() == 1
    assert sorted(SettlementLine.objects.values_list("redemption_id", flat=True)) \
        == sorted(s.pk for s in sales)
    assert set(Payout.objects.values_list("state", flat=True)) == {PayoutState.PAID}
    total = sum(s.subsidy_fen for s in sales)
    assert Payout.objects.aggregate(s=Sum("amount_fen"))["s"] == total
    paid = Posting.objects.filter(account__kind=AccountKind.PAID_OUT,
                                  transaction__kind=TxKind.PAYOUT).aggregate(s=Sum("amount_fen"))
    assert paid["s"] == total
    assert_reconciled(campaign)
