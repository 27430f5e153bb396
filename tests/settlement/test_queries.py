"""A merchant's part of a settlement run costs the same number of queries whatever its number of
sales (bench/settle.py measures 10,000 sales of 7 shops; bench/RESULTS.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huiquan.settlement import services

pytestmark = pytest.mark.django_db

# bench/RESULTS.md, "settle". PostgreSQL adds the row locks SQLite's BEGIN IMMEDIATE makes moot
# (the sales' rows, the ledger accounts, the lock timeout).
QUERIES_PER_MERCHANT = {"sqlite": 22, "postgresql": 25}


def test_each_merchants_part_of_a_run_costs_a_constant_number_of_queries(  # type: ignore[no-untyped-def]
        campaign, two_shops, approved_sale, finance, monkeypatch):
    a, b = two_shops
    approved_sale(a)
    for price in (300_000, 400_000, 600_000, 700_000):
        approved_sale(b, price)
    counts: dict[int, int] = {}
    real = services._settle_merchant

    def counted(**kwargs: Any) -> Any:
        with CaptureQueriesContext(connection) as queries:
            payout = real(**kwargs)
        counts[payout.sale_count] = len(queries)
        return payout

    monkeypatch.setattr(services, "_settle_merchant", counted)
    services.run_settlement(campaign=campaign, actor=finance)
    expected = QUERIES_PER_MERCHANT[connection.vendor]
    assert counts == {1: expected, 4: expected}
