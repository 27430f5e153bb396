"""Hot paths are cheap and flat (ARCHITECTURE.md): a claim costs a handful of queries and a
sold-out answer a couple, however many vouchers were issued before."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huiquan.campaigns.models import Release
from huiquan.vouchers.errors import ClaimRefused
from huiquan.vouchers.services import claim_voucher
from tests.conftest import INSIDE_LINFEN

pytestmark = pytest.mark.django_db


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_a_claim_costs_the_same_handful_of_queries_for_the_first_and_the_hundredth(
        open_release, make_consumer):
    people = [make_consumer() for _ in range(4)]
    # warm-up: with the Redis gate on, the first claim also copies the count into the gate
    claim_voucher(consumer=people[3].consumer, release_id=open_release.pk, **INSIDE_LINFEN)
    first = _count(lambda: claim_voucher(consumer=people[0].consumer, release_id=open_release.pk,
                                         idempotency_key="a", **INSIDE_LINFEN))
    Release.objects.filter(pk=open_release.pk).update(remaining_count=50)  # as if 100 issued
    later = _count(lambda: claim_voucher(consumer=people[1].consumer, release_id=open_release.pk,
                                         idempotency_key="b", **INSIDE_LINFEN))
    assert first == later
    assert later <= 11  # 9 statements + BEGIN/COMMIT; no counting of issued vouchers


def test_a_sold_out_answer_costs_two_queries(open_release, make_consumer):
    person = make_consumer()
    Release.objects.filter(pk=open_release.pk).update(remaining_count=0)
    with CaptureQueriesContext(connection) as ctx, pytest.raises(ClaimRefused) as refused:
        claim_voucher(consumer=person.consumer, release_id=open_release.pk, **INSIDE_LINFEN)
    assert refused.value.code == "SOLD_OUT"
    assert len(ctx.captured_queries) <= 2, [q["sql"] for q in ctx.captured_queries]


def test_once_seen_sold_out_the_next_answers_need_no_database(open_release, make_consumer):
    first, second = make_consumer(), make_consumer()
    Release.objects.filter(pk=open_release.pk).update(remaining_count=0)
    with pytest.raises(ClaimRefused):
        claim_voucher(consumer=first.consumer, release_id=open_release.pk, **INSIDE_LINFEN)
    with CaptureQueriesContext(connection) as ctx, pytest.raises(ClaimRefused) as refused:
        claim_voucher(consumer=second.consumer, release_id=open_release.pk, **INSIDE_LINFEN)
    assert refused.value.code == "SOLD_OUT"
    assert len(ctx.captured_queries) == 0
