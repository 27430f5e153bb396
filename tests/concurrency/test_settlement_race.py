"""Two settlement runs at the same moment pay each sale once (invariant 6); with the protection
off — no advisory lock, no conditional ``settled_at``, and the unique constraints dropped — the
same sales are paid twice, and the reconcile says so (ARCHITECTURE.md: a race test shows the
race it catches)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from huiquan.core.errors import DomainError
from huiquan.ledger.models import AccountKind, Posting, TxKind
from huiquan.reconcile import reconcile
from huiquan.settlement import services
from huiquan.settlement.models import SettlementLine, SettlementRun
from tests.concurrency.conftest import postgresql_only, run_concurrently

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _paid_out() -> int:
    return int(Posting.objects.filter(account__kind=AccountKind.PAID_OUT,
                                      transaction__kind=TxKind.PAYOUT)
               .aggregate(s=Sum("amount_fen"))["s"] or 0)


def test_two_runs_at_once_one_is_refused_and_each_sale_is_settled_once(  # type: ignore[no-untyped-def]
        campaign, two_shops, approved_sale, finance, finance2):
    a, b = two_shops
    sales = [approved_sale(a), approved_sale(b), approved_sale(b, 700_000)]
    results = run_concurrently(lambda who: services.run_settlement(campaign=campaign, actor=who),
                               [(finance,), (finance2,)])
    runs = [r for r in results if isinstance(r, SettlementRun)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(runs) == 1 and len(refused) == 1, results
    assert refused[0].code in ("SETTLEMENT_RUNNING", "SETTLEMENT_EMPTY")
    assert SettlementLine.objects.count() == 3
    assert _paid_out() == sum(s.subsidy_fen for s in sales)
    rec = reconcile(campaign)
    assert rec.ok, rec.table()


@pytest.fixture
def unprotected(unguarded) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The guards off, and settlement's unique constraints dropped (restored after)."""
    dropped = {SettlementRun: ["settlement_one_open_run", "settlement_run_number"],
               SettlementLine: ["settlement_line_once"]}
    originals = {model: model._meta.constraints for model in dropped}
    gone = {model: [c for c in model._meta.constraints if c.name in names]
            for model, names in dropped.items()}
    try:
        for model, constraints in gone.items():
            model._meta.constraints = [c for c in originals[model] if c not in constraints]
            with connection.schema_editor() as editor:
                for constraint in constraints:
                    editor.remove_constraint(model, constraint)
        yield
    finally:
        for model in gone:
            model._meta.constraints = originals[model]
        call_command("flush", interactive=False, verbosity=0)
        for model, constraints in gone.items():
            with connection.schema_editor() as editor:
                for constraint in constraints:
                    editor.add_constraint(model, constraint)


@postgresql_only
def test_with_the_protection_off_two_runs_pay_the_same_sales_twice(  # type: ignore[no-untyped-def]
        campaign, two_shops, approved_sale, finance, finance2, unprotected, monkeypatch):
    a, b = two_shops
    sales = [approved_sale(a), approved_sale(b)]
    both_read = threading.Barrier(2, timeout=30)
    real = services.approved_unsettled

    def read_then_wait(**kwargs):  # type: ignore[no-untyped-def]
        rows = real(**kwargs)
        both_read.wait()  # forced interleaving: both runs have read before either writes
        return rows

    monkeypatch.setattr(services, "approved_unsettled", read_then_wait)
    results = run_concurrently(lambda who: services.run_settlement(campaign=campaign, actor=who),
                               [(finance,), (finance2,)])
    assert all(isinstance(r, SettlementRun) for r in results), results
    assert SettlementLine.objects.count() == 2 * len(sales)  # every sale in two runs
    assert _paid_out() == 2 * sum(s.subsidy_fen for s in sales)  # paid twice
    rec = reconcile(campaign)
    failing = {c.name for c in rec.checks if not c.ok}
    assert "每笔已结算核销恰在一条结算明细中" in failing
