"""Claiming a voucher (invariant 4, R-CLAIM-2, R-CLAIM-3, R-SCHED-3, R-CON-2)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction

from huiquan.campaigns.selectors import (
    ReleaseView,
    claim_release,
    open_releases,
    remaining_count,
)
from huiquan.campaigns.services import take_one_voucher
from huiquan.consumers.models import Consumer
from huiquan.core import clock, geo, guards, memo, sql
from huiquan.core.errors import Busy, CoreCode, DomainError
from huiquan.vouchers import gate, paycode, words
from huiquan.vouchers.errors import ClaimRefused, VoucherCode
from huiquan.vouchers.models import IdempotentRequest, Voucher

if TYPE_CHECKING:
    from huiquan.campaigns.models import Release

VALID_AT_MOST = timedelta(days=7)  # "自获券后一周之内有效"



def _refuse(code: str, message: str, status: int = 409) -> ClaimRefused:
    return ClaimRefused(message, code=code, status=status)


def sold_out_refusal() -> ClaimRefused:
    return _refuse(VoucherCode.SOLD_OUT, "本批的券已经抢完了：下一批的开抢时间见活动页")


# The claim's own read of the person's vouchers, as plain SQL: on the release-day path the ORM's
# query building cost more than the queries (bench/RESULTS.md). The release is read by
# campaigns.selectors.claim_release.
_LIMITS_SQL = (
    "SELECT release_id, used_at, valid_until FROM vouchers_voucher "
    "WHERE consumer_id = %s AND campaign_id = %s"
)


# The claim's two writes: this insert, and campaigns.services.take_one_voucher, invariant 4's
# guard (a conditional UPDATE: one voucher only while one is left and the window is open).
# A handle already taken (vouchers.paycode: random, 8 digits) inserts nothing and is redrawn;
# any other clash, (consumer, release) above all, still raises.
_INSERT_VOUCHER_SQL = (
    "INSERT INTO vouchers_voucher (consumer_id, release_id, campaign_id, claimed_at, "
    "valid_until, used_at, paycode_secret, sealed, paycode_handle) "
    "VALUES (%s, %s, %s, %s, %s, NULL, %s, %s, %s) "
    "ON CONFLICT (paycode_handle) DO NOTHING RETURNING id"
)
def _open_release(release_id: int) -> ReleaseView:
    release = claim_release(release_id)
    if release is None:
        raise _refuse(VoucherCode.RELEASE_NOT_FOUND, "没有这个发放批次（或不属于当前活动）", 404)
    now = clock.now()
    if release.cancelled_at is not None or release.confirmed_at is None:
        raise _refuse(VoucherCode.RELEASE_NOT_OPEN, "本批次没有发放")
    if now < release.opens_at:
        raise _refuse(VoucherCode.RELEASE_NOT_OPEN, f"还没开始：{words.when(release.opens_at)} 准时开抢")
    if now >= release.expires_at:
        raise _refuse(VoucherCode.RELEASE_CLOSED, "本批次已结束")
    return release


def _check_limits(consumer: Consumer, release: ReleaseView) -> None:
    """R-CLAIM-3: one per release; none while holding a live unused one; none after a use."""
    now = clock.now()
    mine = [{"release_id": r[0], "used_at": r[1], "valid_until": r[2]}
            for r in sql.fetch(_LIMITS_SQL, [consumer.pk, release.campaign_id], times=(1, 2))]
    if any(v["used_at"] is not None for v in mine):
        raise _refuse(VoucherCode.ALREADY_USED_IN_CAMPAIGN, "您在本次活动中已经使用过一张券：每人限用一张")
    if any(v["release_id"] == release.pk for v in mine):
        raise _refuse(VoucherCode.ALREADY_CLAIMED, "您已经领取过本批次的券")
    if any(v["valid_until"] > now for v in mine):
        raise _refuse(VoucherCode.HOLDS_UNUSED_VOUCHER, "您还有一张未使用且未过期的券，用完或过期后才能再领")


def limits_refusal(consumer: Consumer, release: Release) -> ClaimRefused | None:
    """R-CLAIM-3's answer for this person and release, read only: the campaign page shows it in
    place of the claim button (the same check and words as a claim would give)."""
    view = ReleaseView(pk=release.pk, campaign_id=release.period.campaign_id,
                       opens_at=release.opens_at, expires_at=release.expires_at,
                       confirmed_at=release.confirmed_at, cancelled_at=release.cancelled_at,
                       remaining_count=release.remaining_count, fence_adcode=None, fence_name=None)
    try:
        _check_limits(consumer, view)
    except ClaimRefused as refused:
        return refused
    return None


# Releases this process has seen sold out (the sold-out crowd's fast path).
_sold_out = memo.new_set("vouchers.sold_out")


class _Replayed(Exception):
    """A twin request with the same Idempotency-Key committed first."""


# Refusals not worth a stored answer: recomputing them gives the same answer anyway.
_NOT_STORED = {"SOLD_OUT", "RELEASE_NOT_OPEN", "BUSY"}


def claim_voucher(*, consumer: Consumer, release_id: int, lat: Any, lng: Any,
                  coord_system: Any, idempotency_key: str | None = None) -> Voucher:
    """Claim one voucher of an open release for a verified person inside the geo.

    One transaction: the remaining count is decremented only where still positive and the
    window open (conditional update), then the voucher is inserted under the unique constraint
    (consumer, release). Losers get SOLD_OUT / ALREADY_CLAIMED, never a 500. The same request
    repeated with the same idempotency key gets the same answer.
    """
    body = {"release": release_id, "lat": lat, "lng": lng, "coord_system": coord_system}
    key = (idempotency_key or "").strip()
    if len(key) > 64:  # as the till: never cut (two long keys would become one)
        raise DomainError("Idempotency-Key 最长 64 个字符", code=CoreCode.INVALID_INPUT)
    if key:
        stored = replay(user_id=consumer.user_id, key=key, body=body)
        if stored is not None:
            return _answer(stored)
    try:
        return _claim(consumer, release_id, lat, lng, coord_system, key, body)
    except _Replayed:
        stored = replay(user_id=consumer.user_id, key=key, body=body)
        assert stored is not None
        return _answer(stored)
    except ClaimRefused as refused:
        if key and refused.code not in _NOT_STORED:
            _answer(remember(user_id=consumer.user_id, key=key, body=body, status=refused.status,
                             response=refused.as_dict()))
        raise


def _answer(stored: IdempotentRequest) -> Voucher:
    if stored.status == 201:
        return Voucher.objects.select_related("release").get(pk=stored.response["voucher_id"])
    raise ClaimRefused(stored.response["message"], code=stored.response["code"],
                       status=stored.status)


def _claim(consumer: Consumer, release_id: int, lat: Any, lng: Any, coord_system: Any,
           key: str, body: dict[str, Any]) -> Voucher:
    if not consumer.is_verified:
        raise _refuse(VoucherCode.NOT_VERIFIED, "请先完成实名认证（姓名 + 身份证号）", 403)
    flat, flng, system = geo.parse_point(lat, lng, coord_system)
    if release_id in _sold_out:  # remembered in this process: no database at all
        raise sold_out_refusal()
    release = _open_release(release_id)
    if release.fence_adcode and not geo.contains(release.fence_adcode, lat=flat, lng=flng,
                                                       coord_system=system):
        km = geo.distance_outside_km(release.fence_adcode, lat=flat, lng=flng,
                                     coord_system=system)
        raise _refuse(VoucherCode.OUTSIDE_GEOFENCE,
                      words.outside_fence(release.fence_name or "活动区域", km, flat, flng), 403)
    if release.remaining_count <= 0:
        # A release's remaining count only ever goes down: once sold out, always sold out.
        _sold_out.add(release.pk)
        raise sold_out_refusal()
    # A read before the write lock: a person who already claimed (or may not claim) is answered
    # without queueing for the lock. The same check inside the transaction stays the authority.
    _check_limits(consumer, release)
    admitted = False
    if gate.enabled():
        if not gate.admit(release, lambda: remaining_count(release.pk)):
            raise sold_out_refusal()
        admitted = True
    naive_remaining = None
    if not guards.enabled():  # the naive shape race tests must catch: read now, write later
        naive_remaining = remaining_count(release.pk)
        if _between_read_and_write is not None:
            _between_read_and_write()
    try:
        try:
            return _claim_in_transaction(consumer, release, key, body, naive_remaining)
        except IntegrityError as exc:  # the whole transaction rolled back; say why
            if key and IdempotentRequest.objects.filter(user_id=consumer.user_id,
                                                        key=key).exists():
                raise _Replayed from exc
            raise _refuse(VoucherCode.ALREADY_CLAIMED, "您已经领取过本批次的券") from exc
    except (DomainError, _Replayed):
        if admitted:
            gate.give_back(release)
        raise


@transaction.atomic(durable=True)
def _claim_in_transaction(consumer: Consumer, release: ReleaseView, key: str,
                          body: dict[str, Any], naive_remaining: int | None) -> Voucher:
    now = clock.now()
    record = None
    if key:  # taken first, so a twin request with the same key waits for this one's answer
        # (a duplicate key raises IntegrityError: the caller turns it into a replay)
        record = IdempotentRequest.objects.create(
            user_id=consumer.user_id, key=key, body_hash=body_hash(body), status=202,
            response={}, created_at=now)
    if guards.enabled() and connection.features.has_select_for_update:
        # PostgreSQL: serialize one person's claims. SQLite's BEGIN IMMEDIATE already has.
        consumer = Consumer.objects.select_for_update().get(pk=consumer.pk)
    _check_limits(consumer, release)
    # The unique constraint (consumer, release) is the last word: an IntegrityError here rolls
    # the whole transaction back, and the caller answers ALREADY_CLAIMED.
    voucher = Voucher(consumer=consumer, release_id=release.pk, campaign_id=release.campaign_id,
                      claimed_at=now, valid_until=min(release.expires_at, now + VALID_AT_MOST),
                      paycode_secret=secrets.token_hex(20), sealed=False)
    with connection.cursor() as cursor:
        for _ in range(20):  # each draw clashes with odds (vouchers issued) / 90,000,000
            voucher.paycode_handle = paycode.new_handle()
            cursor.execute(_INSERT_VOUCHER_SQL, [
                consumer.pk, release.pk, release.campaign_id, sql.db_time(voucher.claimed_at),
                sql.db_time(voucher.valid_until), voucher.paycode_secret, False,
                voucher.paycode_handle])
            row = cursor.fetchone()
            if row:
                voucher.pk = row[0]
                break
        else:  # pragma: no cover - 20 clashes in a row: the handle space is nearly full
            raise Busy("付款码编号暂时分配不出，请稍后再试")
    voucher._state.adding = False
    if record is not None:
        IdempotentRequest.objects.filter(pk=record.pk).update(
            status=201, response={"voucher_id": voucher.pk})
    # The release row is the one every claim touches: take it last, so on PostgreSQL its row
    # lock is held only from here to COMMIT. No count left (or the window closed meanwhile):
    # everything above rolls back.
    if not take_one_voucher(release_id=release.pk, now=now, naive_remaining=naive_remaining):
        raise sold_out_refusal()
    return voucher


_MARK_USED_SQL = "UPDATE vouchers_voucher SET used_at = %s WHERE id = %s AND used_at IS NULL"


def mark_used(*, voucher_id: int, now: datetime) -> bool:
    """Mark a voucher used, inside the caller's transaction (a completed sale:
    redemptions.services); False when it was used already. One plain statement: it runs in
    every sale's second transaction (bench/RESULTS.md)."""
    return sql.execute(_MARK_USED_SQL, [sql.db_time(now), voucher_id]) == 1


# Test-only hook: runs between the naive read and write when the guards are off.
_between_read_and_write: Any = None


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def replay(*, user_id: int, key: str, body: dict[str, Any]) -> IdempotentRequest | None:
    """The stored answer for (user, key), or None. A different body with the same key is
    refused (IDEMPOTENCY_KEY_REUSED)."""
    stored = IdempotentRequest.objects.filter(user_id=user_id, key=key).first()
    if stored is not None and stored.body_hash != body_hash(body):
        raise DomainError("同一个 Idempotency-Key 不能用于不同的请求",
                          code=VoucherCode.IDEMPOTENCY_KEY_REUSED, status=422)
    return stored


def remember(*, user_id: int, key: str, body: dict[str, Any], status: int,
             response: dict[str, Any]) -> IdempotentRequest:
    """Store an answer; when a twin request stored one first, that one wins and is returned."""
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                user_id=user_id, key=key, body_hash=body_hash(body), status=status,
                response=response, created_at=clock.now())
    except IntegrityError:
        return IdempotentRequest.objects.get(user_id=user_id, key=key)


def seal_claims(*, batch: int = 5000) -> int:
    """Invariant 9: claims are not chained one by one (the chain must not become the release-day
    bottleneck); each run seals the vouchers claimed since the last seal into one audit entry
    carrying a hash over their rows. Returns how many vouchers were sealed."""
    from huiquan.audit.services import seal_rows

    return seal_rows(Voucher.objects.all(), fields=("pk", "consumer_id", "release_id",
                                                    "claimed_at", "valid_until"),
                     action="vouchers.seal", obj_type="voucher", label="张领券记录", batch=batch)


def sync_gate() -> None:
    """Re-copy open releases' remaining counts into the Redis gate (heals lost places)."""
    if not gate.enabled():
        return
    for release in open_releases(clock.now()):
        gate.sync(release)
