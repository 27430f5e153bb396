"""The till's read before the write lock (a selector: it changes nothing).

One statement tells ``services.redeem_voucher`` everything a scan can be *refused* for without
queueing for the write lock. Nothing is granted from it: ``services._reserve`` reads it all again
under the lock (docs/decisions.md, "Speed at the till")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huiquan.core import sql
from huiquan.ledger.models import AccountKind
from huiquan.merchants.selectors import TILL_COLUMNS, TILL_FROM, TILL_WIDTH, Till, till_from_row
from huiquan.redemptions.models import LIVE_STATES
from huiquan.vouchers import paycode
from huiquan.vouchers.models import Voucher

# What a scan needs to know before the write lock, in one read: the till (merchant standing,
# campaign terms, training), a redemption already made with this Idempotency-Key, the voucher
# behind the code, whether its holder already has a live redemption, and what the voucher's
# release still holds. Each plain read on this path costs more than its SQL (bench/RESULTS.md).
SCAN_SQL = (
    f"SELECT {TILL_COLUMNS}, "  # noqa: S608 - fixed SQL fragments, values are parameters
    "(SELECT id FROM redemptions_redemption WHERE merchant_id = m.id "
    "AND idempotency_key = %s AND idempotency_key <> ''), "
    "v.id, v.consumer_id, v.release_id, v.campaign_id, v.claimed_at, v.valid_until, v.used_at, "
    "v.paycode_secret, v.sealed, "
    "EXISTS (SELECT 1 FROM redemptions_redemption r WHERE r.consumer_id = v.consumer_id "
    "AND r.campaign_id = v.campaign_id AND r.state IN (%s, %s)), "
    "(SELECT COALESCE(SUM(a.balance_fen), 0) FROM ledger_account a "
    "WHERE a.release_id = v.release_id AND a.kind = %s) "
    f"FROM {TILL_FROM} LEFT JOIN vouchers_voucher v ON v.id = %s WHERE s.user_id = %s"
)


@dataclass(frozen=True)
class Scan:
    till: Till | None  # None: not a merchant's staff
    replay_id: int | None
    voucher: Voucher | None  # None: no such voucher, or a forged or rotated-away code
    live: bool
    pool_fen: int


def read(actor: Any, key: str, payment_code: str) -> Scan:
    parsed = paycode.parse(payment_code)
    row = (sql.fetch_one(SCAN_SQL, [key, *LIVE_STATES, AccountKind.RELEASE_POOL,
                                     parsed[0] if parsed else 0, actor.pk],
                         times=(TILL_WIDTH + 5, TILL_WIDTH + 6, TILL_WIDTH + 7))
           if getattr(actor, "is_authenticated", False) else None)
    if row is None:
        return Scan(None, None, None, False, 0)
    till = till_from_row(row)
    replay, pk, consumer, release, campaign, claimed, valid_until, used, secret, sealed, live, \
        pool = row[TILL_WIDTH:]
    voucher = None
    if pk is not None and parsed is not None and paycode.matches(secret, parsed[1]):
        voucher = Voucher(id=pk, consumer_id=consumer, release_id=release, campaign_id=campaign,
                          claimed_at=claimed, valid_until=valid_until, used_at=used,
                          paycode_secret=secret, sealed=bool(sealed))
        voucher._state.adding = False
    return Scan(till, replay, voucher, bool(live), int(pool or 0))
