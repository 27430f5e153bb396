"""The till's read before the write lock (a selector: it changes nothing).

One statement tells ``services.redeem_voucher`` everything a scan can be *refused* for without
queueing for the write lock. Nothing is granted from it: ``services._reserve`` reads it all again
under the lock (docs/decisions.md, "Speed at the till")."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection

from huiquan.core import clock, sql
from huiquan.ledger.models import AccountKind
from huiquan.merchants.selectors import TILL_COLUMNS, TILL_FROM, TILL_WIDTH, Till, till_from_row
from huiquan.redemptions import scanlock
from huiquan.redemptions.models import LIVE_STATES
from huiquan.vouchers import paycode
from huiquan.vouchers.models import Voucher


# What a scan needs to know before the write lock, in one read: the till (merchant standing,
# campaign terms, training), a redemption already made with this Idempotency-Key, whether the
# voucher's holder already has a live redemption, what the voucher's release still holds,
# whether the till user or its shop is locked for failed scans (redemptions.scanlock), and
# the voucher behind the code (by its payment-code handle). Each plain read on this path costs
# more than its SQL (bench/RESULTS.md).
@cache
def scan_sql(vendor: str) -> str:
    return (
        f"SELECT {TILL_COLUMNS}, "  # noqa: S608 - fixed SQL fragments, values are parameters
        "(SELECT id FROM redemptions_redemption WHERE merchant_id = m.id "
        "AND idempotency_key = %s AND NOT (idempotency_key = '')), "  # the partial index's words
        "EXISTS (SELECT 1 FROM redemptions_redemption r WHERE r.consumer_id = v.consumer_id "
        "AND r.campaign_id = v.campaign_id AND r.state IN (%s, %s)), "
        "(SELECT COALESCE(SUM(a.balance_fen), 0) FROM ledger_account a "
        "WHERE a.release_id = v.release_id AND a.kind = %s), "
        f"{scanlock.LOCKED_SQL}, "
        f"{sql.columns(Voucher, 'v')} "
        f"FROM {TILL_FROM} LEFT JOIN vouchers_voucher v ON v.paycode_handle = %s "
        "WHERE s.user_id = %s"
    )


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
    row = (sql.fetch_one(scan_sql(connection.vendor),
                         [key, *LIVE_STATES, AccountKind.RELEASE_POOL,
                          sql.db_time(clock.now()), parsed[0] if parsed else 0, actor.pk])
           if getattr(actor, "is_authenticated", False) else None)
    if row is None:
        return Scan(None, None, None, False, 0)
    till = till_from_row(row)
    replay, live, pool, locked = row[TILL_WIDTH:TILL_WIDTH + 4]
    columns = row[TILL_WIDTH + 4:]
    voucher = None
    if columns[0] is not None and parsed is not None:
        found = sql.instance(Voucher, columns)
        voucher = found if paycode.matches(found.paycode_secret, parsed[1]) else None
    return Scan(till, replay, voucher, bool(live), int(pool or 0), bool(locked))
