"""The till's reads across apps: the one place that reads other apps' tables (issue 13).

Every app owns its tables and reads another's through its selectors (docs/architecture.md);
tests/core/test_sql_ownership.py fails on any SQL string that names another app's table — except
here. At the counter each plain read costs more than its SQL (bench/RESULTS.md), so the till
reads, in ONE statement each:

- ``read``: everything a scan can be *refused* for before the write lock: the till (merchant
  standing, campaign terms, training, catalogue version), a redemption already made with this
  Idempotency-Key, whether the voucher's holder already has a live redemption, what the
  voucher's release still holds (the ledger's release pool), whether the till user or its shop
  is locked for failed scans (redemptions.scanlock), and the voucher behind the code (by its
  payment-code handle). Nothing is granted from it: ``services._reserve`` reads it all again
  under the lock (docs/decisions.md, "Speed at the till").
- ``till_of``: the till alone (again inside the lock).
- ``names_of``: the shop's name and the buyer's masked id, for the receipt.

Columns are named (``AS …``), never matched by position; a model's columns come from
``sql.named_columns`` of its owner's model. Only reads: every write goes through the owner's
services."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection

from huiquan.core import clock, sql
from huiquan.ledger.models import AccountKind
from huiquan.merchants.selectors import CampaignTerms, Till
from huiquan.redemptions import scanlock
from huiquan.redemptions.models import LIVE_STATES
from huiquan.vouchers import paycode
from huiquan.vouchers.models import Voucher

# What a till needs of the merchant its staff user works for (merchants.selectors.Till).
_TILL_COLUMNS = (
    "m.id AS merchant_id, m.campaign_id AS campaign_id, m.legal_name AS legal_name, "
    "m.state AS state, m.state_reason AS state_reason, m.categories AS categories, "
    "c.subsidy_rate_percent AS subsidy_rate_percent, c.subsidy_cap_fen AS subsidy_cap_fen, "
    "EXISTS (SELECT 1 FROM merchants_training t WHERE t.merchant_id = m.id) AS trained, "
    "(SELECT MAX(cv.number) FROM catalog_catalogversion cv "
    "WHERE cv.campaign_id = m.campaign_id) AS catalog_version"
)
_TILL_FROM = (
    "merchants_merchantstaff s JOIN merchants_merchant m ON m.id = s.merchant_id "
    "JOIN campaigns_campaign c ON c.id = m.campaign_id"
)
_TILL_SQL = f"SELECT {_TILL_COLUMNS} FROM {_TILL_FROM} WHERE s.user_id = %s"  # noqa: S608


@cache
def scan_sql(vendor: str) -> str:
    return (
        f"SELECT {_TILL_COLUMNS}, "  # noqa: S608 - fixed SQL fragments, values are parameters
        "(SELECT id FROM redemptions_redemption WHERE merchant_id = m.id "
        "AND idempotency_key = %s AND NOT (idempotency_key = '')) AS replay_id, "  # the partial index's words
        "EXISTS (SELECT 1 FROM redemptions_redemption r WHERE r.consumer_id = v.consumer_id "
        "AND r.campaign_id = v.campaign_id AND r.state IN (%s, %s)) AS live, "
        "(SELECT COALESCE(SUM(a.balance_fen), 0) FROM ledger_account a "
        "WHERE a.release_id = v.release_id AND a.kind = %s) AS pool_fen, "
        f"{scanlock.LOCKED_SQL} AS locked, "
        f"{sql.named_columns(Voucher, 'v')} "
        f"FROM {_TILL_FROM} LEFT JOIN vouchers_voucher v ON v.paycode_handle = %s "
        "WHERE s.user_id = %s"
    )


def _till(row: dict[str, Any]) -> Till:
    return Till(pk=row["merchant_id"], campaign_id=row["campaign_id"],
                legal_name=row["legal_name"], state=row["state"],
                state_reason=row["state_reason"],
                categories=list(sql.json_value(row["categories"]) or []),
                trained=bool(row["trained"]),
                campaign=CampaignTerms(row["campaign_id"], row["subsidy_rate_percent"],
                                       row["subsidy_cap_fen"], int(row["catalog_version"] or 0)))


def till_of(user: Any) -> Till | None:
    """The till of a staff user (None for everyone else), in one plain query: it is read on
    every scan at the counter (bench/RESULTS.md)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    row = sql.fetch_named(_TILL_SQL, [user.pk])
    return _till(row) if row is not None else None


@dataclass(frozen=True)
class Scan:
    till: Till | None  # None: not a merchant's staff
    replay_id: int | None
    voucher: Voucher | None  # None: no such voucher, or a forged or rotated-away code
    live: bool
    pool_fen: int
    locked: bool = False  # too many failed scans: SCAN_LOCKED (redemptions.scanlock)


def read(actor: Any, key: str, payment_code: str) -> Scan:
    parsed = paycode.parse(payment_code)
    row = (sql.fetch_named(scan_sql(connection.vendor),
                           [key, *LIVE_STATES, AccountKind.RELEASE_POOL,
                            sql.db_time(clock.now()), parsed[0] if parsed else 0, actor.pk])
           if getattr(actor, "is_authenticated", False) else None)
    if row is None:
        return Scan(None, None, None, False, 0)
    voucher = None
    if parsed is not None:
        found = sql.instance_named(Voucher, "v", row)
        voucher = found if found and paycode.matches(found.paycode_secret, parsed[1]) else None
    return Scan(_till(row), row["replay_id"], voucher, bool(row["live"]),
                int(row["pool_fen"] or 0), bool(row["locked"]))


@cache
def recheck_sql(vendor: str) -> str:
    lock = " FOR UPDATE OF v" if vendor == "postgresql" else ""
    return (
        f"SELECT {_TILL_COLUMNS}, "  # noqa: S608 - fixed SQL fragments, values are parameters
        "EXISTS (SELECT 1 FROM redemptions_redemption r WHERE r.consumer_id = v.consumer_id "
        "AND r.campaign_id = v.campaign_id AND r.state IN (%s, %s)) AS live, "
        "(SELECT COALESCE(SUM(a.balance_fen), 0) FROM ledger_account a "
        "WHERE a.release_id = v.release_id AND a.kind = %s) AS pool_fen, "
        "rel.period_id AS period_id, "
        f"{sql.named_columns(Voucher, 'v')} "
        "FROM vouchers_voucher v JOIN campaigns_release rel ON rel.id = v.release_id, "
        f"{_TILL_FROM} WHERE v.id = %s AND s.user_id = %s{lock}"
    )


@dataclass(frozen=True)
class Recheck:
    till: Till
    voucher: Voucher
    live: bool
    pool_fen: int
    period_id: int  # the voucher's release's period (the ledger transaction names it)


def recheck(actor: Any, voucher_id: int) -> Recheck | None:
    """Inside the sale's write transaction (``services._reserve``): the till, the voucher (its
    row locked on PostgreSQL), whether its holder has a live redemption, what its release's pool
    holds, and the release's period, in ONE statement (it was five: issue 15). None when the
    actor is not a till."""
    from huiquan.core.locks import waiting_for_locks

    if not getattr(actor, "is_authenticated", False):
        return None
    with waiting_for_locks():
        row = sql.fetch_named(recheck_sql(connection.vendor),
                              [*LIVE_STATES, AccountKind.RELEASE_POOL, voucher_id, actor.pk])
    if row is None:
        return None
    voucher = sql.instance_named(Voucher, "v", row)
    assert voucher is not None
    return Recheck(_till(row), voucher, bool(row["live"]), int(row["pool_fen"] or 0),
                   row["period_id"])


_NAMES_SQL = (
    "SELECT m.legal_name, c.id_masked FROM merchants_merchant m, consumers_consumer c "
    "WHERE m.id = %s AND c.id = %s"
)


def names_of(merchant_id: int, consumer_id: int) -> tuple[str, str]:
    """The shop's legal name and the buyer's masked id number, in one query (the receipt the
    till reads after every sale)."""
    row = sql.fetch_one(_NAMES_SQL, [merchant_id, consumer_id])
    return (row[0], row[1]) if row else ("", "")
