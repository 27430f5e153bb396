"""Close-out: unspent money back to each funding source; the report = the reconcile (item 7)."""

from __future__ import annotations

import pytest

from huiquan.campaigns.services import perform_due_transitions
from huiquan.ledger.models import AccountKind
from huiquan.ledger.selectors import pool_total
from huiquan.settlement import closeout
from tests.merchant_fixtures import error_code
from tests.settlement.support import assert_reconciled, settle_fully

pytestmark = pytest.mark.django_db


def test_close_out_returns_unspent_money_by_source_and_its_report_balances(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2, clock):
    first = approved_sale(shop)
    second = approved_sale(shop, 700_000)
    assert error_code(lambda: closeout.close_out(campaign=campaign, actor=finance)) \
        == "CLOSEOUT_NOT_READY"
    clock.set("2024-08-02T09:00:00+08:00")
    perform_due_transitions(campaign=campaign)
    # The final settlement is not done yet: refused, with what is missing.
    assert error_code(lambda: closeout.close_out(campaign=campaign, actor=finance)) \
        == "CLOSEOUT_NOT_READY"
    settle_fully(campaign, finance, finance2)
    closing = closeout.close_out(campaign=campaign, actor=finance)
    report = closing.report
    assert report["balanced"], report
    # County money is drawn first (funding order), so the sales were paid from it.
    county, city = (next(s for s in report["sources"] if s["code"] == c) for c in ("county", "city"))
    assert county["paid_out"] == first.subsidy_fen + second.subsidy_fen
    assert city["paid_out"] == 0 and city["treasury"] == city["received"] > 0
    assert county["treasury"] == county["received"] - county["paid_out"]
    assert county["pools"] == city["pools"] == 0
    assert report["totals"]["treasury"] + report["totals"]["paid_out"] \
        == report["totals"]["received"]
    for kind in (AccountKind.CAMPAIGN_POOL, AccountKind.PERIOD_POOL, AccountKind.RELEASE_POOL):
        assert pool_total(campaign, kind) == 0
    assert closing.returned_by_source == {str(county["source_id"]): county["treasury"],
                                          str(city["source_id"]): city["treasury"]}
    assert_reconciled(campaign)
    # Again: nothing left to return, and the reconcile still holds.
    again = closeout.close_out(campaign=campaign, actor=finance)
    assert again.returned_by_source == {}
    assert_reconciled(campaign)
