"""huiquan.core.sql reads and writes rows exactly as the ORM would (on SQLite and PostgreSQL).

The till, the token lookup and the ledger use these helpers instead of the ORM on the rush path;
a value they stored or read differently (a JSON blob, a timezone, a boolean) would be a quiet
money or audit bug, so each is compared with the ORM on the same row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from huiquan.core import clock, sql
from huiquan.core.models import User
from huiquan.ledger.models import Account
from huiquan.vouchers.models import IdempotentRequest

pytestmark = pytest.mark.django_db

WHEN = datetime(2024, 6, 21, 2, 0, 0, 123456, tzinfo=UTC)  # 10:00:00.123456 in Shanghai


def _columns(obj: object) -> dict[str, object]:
    meta = obj._meta  # type: ignore[attr-defined]
    return {f.attname: getattr(obj, f.attname) for f in meta.concrete_fields}


def test_insert_stores_what_the_orm_reads_back(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("consumer", username="sql-insert")
    rows = [IdempotentRequest(user=user, key=f"k{i}", body_hash="h", status=201,
                              response={"voucher_id": i, "名字": "隰县", "nested": [1, None]},
                              created_at=WHEN + timedelta(seconds=i)) for i in range(3)]
    sql.insert(rows)
    assert all(r.pk is not None and not r._state.adding for r in rows)
    for row in rows:
        stored = IdempotentRequest.objects.get(pk=row.pk)
        assert _columns(stored) == _columns(row)
        assert stored.created_at == row.created_at and stored.created_at.tzinfo is not None


def test_insert_obeys_the_databases_constraints(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("consumer", username="sql-unique")
    sql.insert([IdempotentRequest(user=user, key="once", body_hash="h", status=201, response={},
                                  created_at=WHEN)])
    with pytest.raises(IntegrityError), transaction.atomic():
        sql.insert([IdempotentRequest(user=user, key="once", body_hash="h", status=409,
                                      response={}, created_at=WHEN)])
    assert IdempotentRequest.objects.filter(key="once").count() == 1


def test_load_gives_the_same_instance_as_the_orm(make_user, campaign, open_release) -> None:  # type: ignore[no-untyped-def]
    user = make_user("consumer", username="sql-load")
    User.objects.filter(pk=user.pk).update(last_login=WHEN, is_active=False)
    loaded = sql.load(User, "id = %s", [user.pk])
    assert len(loaded) == 1
    assert _columns(loaded[0]) == _columns(User.objects.get(pk=user.pk))
    assert loaded[0].is_active is False and loaded[0].last_login == WHEN
    accounts = sql.load(Account, "campaign_id = %s", [campaign.pk])
    assert len(accounts) >= 3  # funding sources, campaign pool, the release's pool
    assert [_columns(a) for a in accounts] == [
        _columns(a) for a in Account.objects.filter(campaign=campaign).order_by("pk")]
    assert sql.load(User, "id = %s", [10**9]) == []


def test_update_writes_json_and_times_as_the_orm_would(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("consumer", username="sql-update")
    row = IdempotentRequest.objects.create(user=user, key="u", body_hash="h", status=202,
                                           response={}, created_at=clock.now())
    row.status, row.response, row.created_at = 201, {"voucher_id": 7, "ok": True}, WHEN
    assert sql.update(row, ["status", "response", "created_at"]) == 1
    stored = IdempotentRequest.objects.get(pk=row.pk)
    assert (stored.status, stored.response, stored.created_at) == (201, {"voucher_id": 7,
                                                                        "ok": True}, WHEN)


def test_load_with_lock_works_inside_a_transaction(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("consumer", username="sql-lock")
    with transaction.atomic():
        locked = sql.load(User, "id = %s", [user.pk], lock=True)
    assert [u.pk for u in locked] == [user.pk]


@pytest.mark.parametrize("moment", [
    datetime(2024, 6, 21, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    datetime(2024, 6, 21, 2, 0, 0, 123456, tzinfo=UTC),
    datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Shanghai")),
])
def test_db_time_writes_what_the_orm_writes(moment):  # type: ignore[no-untyped-def]
    from django.db import connection

    assert sql.db_time(moment) == connection.ops.adapt_datetimefield_value(moment)
