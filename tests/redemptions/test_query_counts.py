"""Hot paths are cheap and flat (ARCHITECTURE.md), pinned (issue 15, bench/RESULTS.md): the
statements of an issuing claim, a sold-out answer, a completed sale and a refused sale, counted
as a server runs them (real transactions: BEGIN IMMEDIATE on SQLite, no test savepoints).

If one of these numbers goes up, the release-day benchmarks go down: change it on purpose, and
the table in bench/RESULTS.md with it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huiquan.campaigns.models import Release
from huiquan.vouchers.errors import ClaimRefused
from huiquan.vouchers.services import claim_voucher
from tests.conftest import INSIDE_LINFEN
from tests.merchant_fixtures import aircon, error_code, redeem_at

pytestmark = pytest.mark.django_db(transaction=True)

# Counted with each write transaction's BEGIN (SQLite: BEGIN IMMEDIATE) and COMMIT. PostgreSQL
# also takes the person's row lock in the claim (SQLite's write lock already serializes all).
ISSUING_CLAIM = {"sqlite": 7, "postgresql": 8}
SOLD_OUT_FIRST = 1  # the release's row; after that this process knows: none
COMPLETED_SALE = {"sqlite": 25, "postgresql": 23}
REFUSED_SALE = 1  # the till's one read: the pool cannot pay this subsidy


def _statements(call):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        call()
    return [q["sql"] for q in ctx.captured_queries]


def test_an_issuing_claim_costs_its_statements(open_release, make_consumer):  # type: ignore[no-untyped-def]
    first, person = make_consumer(), make_consumer()
    claim_voucher(consumer=first.consumer, release_id=open_release.pk, **INSIDE_LINFEN)  # warm
    sql = _statements(lambda: claim_voucher(consumer=person.consumer,
                                            release_id=open_release.pk, **INSIDE_LINFEN))
    assert len(sql) == ISSUING_CLAIM[connection.vendor], "\n".join(sql)
    assert sql[-2].startswith("UPDATE campaigns_release")  # the hot row, last before COMMIT


def test_a_sold_out_answer_costs_one_statement_then_none(open_release, make_consumer):  # type: ignore[no-untyped-def]
    warm, first, second = make_consumer(), make_consumer(), make_consumer()
    claim_voucher(consumer=warm.consumer, release_id=open_release.pk, **INSIDE_LINFEN)
    Release.objects.filter(pk=open_release.pk).update(remaining_count=0)
    for person, expected in ((first, SOLD_OUT_FIRST), (second, 0)):
        with CaptureQueriesContext(connection) as ctx, pytest.raises(ClaimRefused) as refused:
            claim_voucher(consumer=person.consumer, release_id=open_release.pk, **INSIDE_LINFEN)
        assert refused.value.code == "SOLD_OUT"
        assert len(ctx.captured_queries) == expected  # then known sold out in this process


def test_a_completed_sale_costs_its_statements(shop, holder):  # type: ignore[no-untyped-def]
    redeem_at(shop, holder().voucher, [aircon()])  # warm: the register's memo, accounts created
    person = holder()
    sql = _statements(lambda: redeem_at(shop, person.voucher, [aircon()]))
    assert len(sql) == COMPLETED_SALE[connection.vendor], "\n".join(sql)
    assert not any("SAVEPOINT" in s for s in sql)


def test_a_refused_sale_costs_one_read(shop, holder, open_release):  # type: ignore[no-untyped-def]
    from tests.helpers import book_redemptions

    redeem_at(shop, holder().voucher, [aircon()])  # warm
    person = holder()
    book_redemptions(open_release, 300_000_00 - 50_000 - 10_000)  # 100 yuan left
    with CaptureQueriesContext(connection) as ctx:
        assert error_code(lambda: redeem_at(shop, person.voucher, [aircon()])) == "POOL_EXHAUSTED"
    assert len(ctx.captured_queries) == REFUSED_SALE, [q["sql"] for q in ctx.captured_queries]
