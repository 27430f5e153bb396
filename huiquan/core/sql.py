"""Plain SQL for the few reads on the rush paths (release-day claims, the till).

On those paths the ORM's query building cost more than the queries themselves (bench/RESULTS.md:
about a millisecond of CPU per query against tens of microseconds in SQLite). The statements
live next to the code that uses them and name their columns; everything else uses the ORM.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils.dateparse import parse_datetime

from huiquan.core.locks import waiting_for_locks

M = TypeVar("M", bound=models.Model)


def aware(value: Any) -> Any:
    """A datetime column as an aware datetime: SQLite hands back naive UTC (or text),
    PostgreSQL aware values."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def json_value(value: Any) -> Any:
    """A JSON column: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def fetch(sql: str, params: Sequence[Any], *, times: Collection[int] = ()) -> list[tuple[Any, ...]]:
    """Rows of a SELECT; the columns at the ``times`` positions become aware datetimes."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not times:
        return [tuple(row) for row in rows]
    return [tuple(aware(v) if i in times else v for i, v in enumerate(row)) for row in rows]


def fetch_one(sql: str, params: Sequence[Any], *, times: Collection[int] = ()
              ) -> tuple[Any, ...] | None:
    rows = fetch(sql, params, times=times)
    return rows[0] if rows else None


def db_time(value: datetime) -> Any:
    """A datetime as the database stores it (a parameter for plain SQL). SQLite: the text
    Django's adapter writes (naive UTC), without its generic checks — on every claim and scan."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "sqlite" and isinstance(value, datetime) and value.tzinfo is not None:
        return str(value.astimezone(UTC).replace(tzinfo=None))
    return db.ops.adapt_datetimefield_value(value)


def for_update() -> str:
    """The row-lock clause where the database has one (SQLite's BEGIN IMMEDIATE already holds
    the write lock)."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


@cache
def _plan(model: type[models.Model], vendor: str) -> tuple[list[str], list[str], list[Any]]:
    """Column names, attribute names and per-column converters (the ones the ORM would apply:
    booleans, datetimes, JSON …) for all of ``model``'s columns, in field order."""
    meta = model._meta
    fields = list(meta.concrete_fields)
    converters = []
    for field in fields:
        column = field.get_col(meta.db_table)
        converters.append((column, connection.ops.get_db_converters(column)
                           + field.get_db_converters(connection)))  # type: ignore[attr-defined]
    return ([connection.ops.quote_name(f.column) for f in fields], [f.attname for f in fields],
            converters)


def columns(model: type[models.Model], alias: str) -> str:
    """``alias.col, …`` for every column of ``model``, in the order ``instance`` expects."""
    names, _, _ = _plan(model, connection.vendor)
    return ", ".join(f"{alias}.{name}" for name in names)


def named_columns(model: type[models.Model], alias: str) -> str:
    """``alias.col AS alias__col, …`` for every column of ``model``: a statement that reads
    several models names each column (``fetch_named``, ``instance_named``)."""
    names, _, _ = _plan(model, connection.vendor)
    return ", ".join(f"{alias}.{name} AS {alias}__{field.column}"
                     for name, field in zip(names, model._meta.concrete_fields, strict=True))


def instance_named(model: type[M], alias: str, row: Mapping[str, Any]) -> M | None:
    """The instance of ``model`` in a row of ``fetch_named`` (columns of ``named_columns``);
    None when the row has none (a LEFT JOIN that found nothing)."""
    values = [row[f"{alias}__{field.column}"] for field in model._meta.concrete_fields]
    return instance(model, values) if values[0] is not None else None


def fetch_named(sql: str, params: Sequence[Any]) -> dict[str, Any] | None:
    """The first row of a SELECT as {column name: value}, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip((d[0] for d in cursor.description), row, strict=True))


def width(model: type[models.Model]) -> int:
    return len(_plan(model, connection.vendor)[0])


def instance(model: type[M], values: Sequence[Any]) -> M:
    """A saved instance of ``model`` from its columns (as ``columns`` lists them), converted as
    the ORM converts them."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy looks it up
    _, names, converters = _plan(model, db.vendor)
    converted = []
    for value, (column, funcs) in zip(values, converters, strict=True):
        for func in funcs:
            value = func(value, column, db)
        converted.append(value)
    return model.from_db(db.alias, names, converted)


def load(model: type[M], where: str, params: Sequence[Any], *, lock: bool = False) -> list[M]:
    """Instances of ``model`` (every column, converted as the ORM would) WHERE ``where``,
    in primary-key order; ``lock`` takes their row locks (PostgreSQL) inside the caller's
    transaction, waiting at most the lock timeout."""
    meta = model._meta
    pk = connection.ops.quote_name(meta.pk.column)
    # Identifiers from the model's own metadata, never from input.
    query = (f"SELECT {columns(model, meta.db_table)} FROM {meta.db_table} "  # noqa: S608
             f"WHERE {where} ORDER BY {pk}{for_update() if lock else ''}")
    if lock:
        with waiting_for_locks():
            rows = fetch(query, params)
    else:
        rows = fetch(query, params)
    return [instance(model, row) for row in rows]


def execute(statement: str, params: Sequence[Any]) -> int:
    """Run an INSERT/UPDATE/DELETE; the number of rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.rowcount)


@cache
def _insert_plan(model: type[models.Model], vendor: str) -> tuple[str, list[Any]]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # Identifiers from the model's own metadata, never from input.
    head = f"INSERT INTO {meta.db_table} ({columns}) VALUES "  # noqa: S608
    return head, fields


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT new rows for unsaved instances of one model (no signals: none are used here),
    values prepared as the ORM prepares them; sets their primary keys. On the till's path
    the ORM's statement building cost more than the statement (bench/RESULTS.md)."""
    if objs:
        _insert(objs, "")


def insert_unless_taken(obj: models.Model) -> bool:
    """INSERT one new row unless a unique constraint already holds its values (``ON CONFLICT
    DO NOTHING``); False when it was taken. Instead of a savepoint around the INSERT and an
    IntegrityError: two statements fewer inside the write transaction of every sale (issue 15),
    and the transaction stays usable either way. Check constraints still raise."""
    return _insert([obj], " ON CONFLICT DO NOTHING")


def _insert(objs: Sequence[models.Model], conflict: str) -> bool:
    model = type(objs[0])
    head, fields = _insert_plan(model, connection.vendor)
    row = f"({', '.join(['%s'] * len(fields))})"
    params: list[Any] = []
    for obj in objs:
        params += [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"{head}{', '.join([row] * len(objs))}{conflict} RETURNING {pk}", params)
        ids = [r[0] for r in cursor.fetchall()]
    if not ids and conflict:
        return False
    for obj, pk_value in zip(objs, ids, strict=True):
        obj.pk = pk_value
        obj._state.adding = False
        obj._state.db = connection.alias
    return True


def update(obj: models.Model, attnames: Sequence[str]) -> int:
    """UPDATE these columns of a saved instance, values prepared as the ORM prepares them."""
    meta = obj._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[name] for name in attnames]
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    pk = connection.ops.quote_name(meta.pk.column)
    # Identifiers from the model's own metadata, never from input.
    return execute(f"UPDATE {meta.db_table} SET {sets} WHERE {pk} = %s",  # noqa: S608
                   [*params, obj.pk])
