"""Failed payment-code scans are limited (issue 11, item 2; R-USE-1).

A till user may fail ``PER_USER`` scans in a minute and a merchant (all its tills together)
``PER_MERCHANT``; the failure that reaches a limit locks that till user, or the whole shop, for
``LOCKED_FOR``: every scan is then refused with ``SCAN_LOCKED``, and the lock is an audit entry
(``redemption.scan_locked``) a reviewer sees in /office/audit/.

Counted in the database (table ``redemptions_scanguard``) so every worker process and machine
sees the same numbers; the lock is checked inside the till's one read (``redemptions.scan``), so a
good scan costs no extra query. Each failure is one conditional upsert per counter: it counts only
while the counter is under its limit and not locked, so parallel guesses can never be answered
"wrong code" more than the limit allows — the rest hear ``SCAN_LOCKED``. Why the database and not
Redis, and the expected number of successful guesses: docs/decisions.md (issue 11)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from huiquan.audit.services import record
from huiquan.core import clock, guards, sql
from huiquan.redemptions.errors import RedemptionCode, RedemptionError

PER_USER = 10  # failed scans a minute, one till user
PER_MERCHANT = 30  # failed scans a minute, all the tills of one shop
WINDOW = timedelta(minutes=1)
LOCKED_FOR = timedelta(minutes=5)
USER, MERCHANT = "u", "m"

# For the till's one read (redemptions.scan): is this till user or its shop locked now?
LOCKED_SQL = (
    "EXISTS (SELECT 1 FROM redemptions_scanguard g WHERE ((g.kind = 'u' AND g.subject_id = "
    "s.user_id) OR (g.kind = 'm' AND g.subject_id = m.id)) AND g.locked_until > %s)"
)


class ScanLocked(RedemptionError):
    code = RedemptionCode.SCAN_LOCKED
    status = 429


def locked_error(until: datetime | None = None) -> ScanLocked:
    when = f"，{clock.local(until):%H:%M} 后" if until is not None else "，几分钟后"
    return ScanLocked(f"付款码错误次数过多，收银台已暂时锁定{when}再试；如有疑问请联系平台")


@cache
def _count_sql(vendor: str) -> str:
    """One counter's conditional upsert: a new window starts at 1; inside the window it counts
    only below the limit and while not locked; the failure that reaches the limit sets the lock.
    (SET expressions read the row as it was: standard SQL, SQLite and PostgreSQL alike.)"""
    t = "redemptions_scanguard"
    fresh = f"{t}.window_start <= %s"  # the window has passed: start again
    return (
        f"INSERT INTO {t} (kind, subject_id, window_start, failures, locked_until) "  # noqa: S608
        "VALUES (%s, %s, %s, 1, %s) ON CONFLICT (kind, subject_id) DO UPDATE SET "
        f"failures = CASE WHEN {fresh} THEN 1 ELSE {t}.failures + 1 END, "
        f"window_start = CASE WHEN {fresh} THEN %s ELSE {t}.window_start END, "
        f"locked_until = CASE WHEN (CASE WHEN {fresh} THEN 1 ELSE {t}.failures + 1 END) >= %s "
        f"THEN %s ELSE {t}.locked_until END "
        f"WHERE ({t}.locked_until IS NULL OR {t}.locked_until <= %s) "
        f"AND ({fresh} OR {t}.failures < %s) "
        "RETURNING failures"
    )



def _count(kind: str, subject_id: int, limit: int, now: datetime) -> int | None:
    """This failure counted (the counter's new value), or None: over the limit or locked."""
    floor, until, at = sql.db_time(now - WINDOW), sql.db_time(now + LOCKED_FOR), sql.db_time(now)
    row = sql.fetch_one(_count_sql(connection.vendor), [
        kind, subject_id, at, until if limit <= 1 else None,
        floor, floor, at, floor, limit, until, at, floor, limit])
    return int(row[0]) if row else None


def record_failure(*, actor: Any, merchant_id: int, merchant_name: str = "") -> ScanLocked | None:
    """Count one failed scan for the till user and its shop. Returns the SCAN_LOCKED error to
    answer instead of "wrong code" when a limit had already been reached (nothing is counted
    then); the failure that reaches a limit locks and writes the audit entry."""
    now = clock.now()
    counters = ((MERCHANT, merchant_id, PER_MERCHANT), (USER, actor.pk, PER_USER))
    if not guards.enabled():
        return _record_naively(actor, merchant_name, counters, now)
    with transaction.atomic():
        counted = []
        for kind, subject, limit in counters:
            failures = _count(kind, subject, limit, now)
            if failures is None:
                transaction.set_rollback(True)  # a refused guess counts nowhere
                return locked_error()
            counted.append((kind, subject, limit, failures))
        _audit_locks(actor, merchant_name, counted, now)
    return None


def _audit_locks(actor: Any, merchant_name: str, counted: list[tuple[str, int, int, int]],
                 now: datetime) -> None:
    for kind, subject, limit, failures in counted:
        if failures != limit:
            continue
        who = (f"商户 {merchant_name or subject} 的全部收银台" if kind == MERCHANT
               else f"收银员 {getattr(actor, 'username', subject)}")
        record(actor=actor, action="redemption.scan_locked",
               obj_type="merchant" if kind == MERCHANT else "user", obj_id=subject,
               summary=f"付款码 1 分钟内错误 {limit} 次：{who}锁定 "
               f"{int(LOCKED_FOR.total_seconds() // 60)} 分钟（至 "
               f"{clock.local(now + LOCKED_FOR):%H:%M}）",
               after={"kind": kind, "subject_id": subject, "failures": failures,
                      "locked_until": now + LOCKED_FOR})


# Test-only hook: runs between the naive read and write when the guards are off.
_between_read_and_write: Any = None


def _record_naively(actor: Any, merchant_name: str, counters: Any,
                    now: datetime) -> ScanLocked | None:
    """The shape the race test must catch (guards off): read the counters, decide, then write."""
    from huiquan.redemptions.models import ScanGuard

    seen = []
    for kind, subject, limit in counters:
        guard = ScanGuard.objects.filter(kind=kind, subject_id=subject).first()
        failures = 0 if guard is None or guard.window_start <= now - WINDOW else guard.failures
        if ((guard is not None and guard.locked_until is not None and guard.locked_until > now)
                or failures >= limit):
            return locked_error()
        seen.append((kind, subject, limit, failures + 1))
    if _between_read_and_write is not None:
        _between_read_and_write()
    with transaction.atomic():
        for kind, subject, limit, failures in seen:
            ScanGuard.objects.update_or_create(kind=kind, subject_id=subject, defaults={
                "failures": failures, "window_start": now if failures == 1 else F("window_start"),
                "locked_until": now + LOCKED_FOR if failures >= limit else None})
        _audit_locks(actor, merchant_name, seen, now)
    return None


INVALID_MESSAGE = "付款码无效或已过期：付款码每分钟更新，请顾客刷新后重新出示"
