"""Reads about residents' accounts: for operators (R-CLAIM-1: one person, one account), and
who is asking — the bearer token's user and the session's consumer, read on every claim and scan."""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q

from huiquan.consumers import crypto
from huiquan.consumers.models import Consumer
from huiquan.core import clock, identifiers, memo, sql
from huiquan.core.models import User
from huiquan.core.roles import Role

ASCII_DIGITS = r"^[0-9]*$"


def id_notes(consumer: Consumer) -> list[str]:
    """Notes about a verified resident's ID number for the staff who check ID documents (e.g.
    an area code missing from stdnum's table); decrypted here, never shown to the resident."""
    from cryptography.fernet import InvalidToken

    from huiquan.consumers import crypto
    from huiquan.consumers.errors import IdentityError
    from huiquan.consumers.identity import validate_id_number

    if not consumer.id_cipher:
        return []
    try:
        return validate_id_number(crypto.decrypt_id(consumer.id_cipher))[1]
    except (IdentityError, InvalidToken):
        return ["身份证号无法按现行规则读出：请人工核对"]


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "*" * len(phone)


@dataclass(frozen=True)
class Account:
    consumer_id: int | None  # None: a merchant staff user
    user_id: int
    phone_masked: str
    id_masked: str
    verified_at: datetime | None
    held_reason: str
    vouchers: int
    used: int


@dataclass(frozen=True)
class DuplicateGroup:
    what: str  # 身份证号 / 手机号
    masked: str
    accounts: list[Account]


def _account(consumer: Consumer) -> Account:
    phone = identifiers.read_any_digits(consumer.phone)
    return Account(consumer.pk, consumer.user_id, mask_phone(phone), consumer.id_masked,
                   consumer.verified_at, consumer.held_reason,
                   getattr(consumer, "n_vouchers", 0), getattr(consumer, "n_used", 0))


def _consumers(condition: Q) -> list[Consumer]:
    return list(Consumer.objects.filter(condition)
                .annotate(n_vouchers=Count("vouchers"),
                          n_used=Count("vouchers", filter=Q(vouchers__used_at__isnull=False)))
                .order_by(F("verified_at").asc(nulls_last=True), "pk"))


def _id_groups() -> list[DuplicateGroup]:
    held = _consumers(~Q(id_duplicate_hash=""))
    groups = []
    for digest in dict.fromkeys(c.id_duplicate_hash for c in held):
        members = _consumers(Q(id_hash=digest)) + [c for c in held if c.id_duplicate_hash == digest]
        groups.append(DuplicateGroup("身份证号", members[0].id_masked, [_account(c) for c in members]))
    return groups


def _phone_groups() -> list[DuplicateGroup]:
    """Accounts whose stored phone, read canonically, is another account's (stored before the
    edge was canonical: migration 0003 folded those it could and held the rest)."""
    odd = _consumers(~Q(phone__regex=ASCII_DIGITS))
    odd_staff = list(User.objects.filter(role=Role.MERCHANT).exclude(phone="")
                     .exclude(phone__regex=ASCII_DIGITS).order_by("pk"))
    by_phone: dict[str, list[Account]] = {}
    for consumer in odd:
        by_phone.setdefault(identifiers.read_any_digits(consumer.phone), []).append(
            _account(consumer))
    for user in odd_staff:
        phone = identifiers.read_any_digits(user.phone)
        by_phone.setdefault(phone, []).append(
            Account(None, user.pk, mask_phone(phone), "", None, "", 0, 0))
    groups = []
    for phone, accounts in by_phone.items():
        same = [_account(c) for c in _consumers(Q(phone=phone))]
        same += [Account(None, u.pk, mask_phone(phone), "", None, "", 0, 0) for u in
                 User.objects.filter(phone=phone, role=Role.MERCHANT).order_by("pk")]
        if len(same) + len(accounts) > 1:
            groups.append(DuplicateGroup("手机号", mask_phone(phone), same + accounts))
    return groups


def duplicate_accounts() -> list[DuplicateGroup]:
    """Groups of accounts that share one canonical ID number or phone (empty on a clean
    database). Reads only; an operator decides what to do."""
    return _id_groups() + _phone_groups()


# --- who is asking: tokens and sessions (reads on every claim and scan) ---------------------

TOKEN_PREFIX = "hq1"  # noqa: S105 - a format marker, not a secret


def signed_token_user(raw: str) -> int | None:
    """The user id of a well-signed, unexpired token, from CPU alone (None otherwise). Used only
    where the answer reveals and changes nothing (the sold-out short cut)."""
    parts = raw.split(".")
    if len(parts) != 5 or parts[0] != TOKEN_PREFIX or not parts[1].isdigit() \
            or not parts[2].isdigit():
        return None
    body = ".".join(parts[:4])
    if not secrets.compare_digest(parts[4], crypto.keyed_hash("token-signature", body)[:32]):
        return None
    if int(parts[2]) <= clock.now().timestamp():
        return None
    return int(parts[1])


# Tokens of verified consumers and of merchant staff, remembered for a few seconds per process:
# on release day the same people tap again and again, and a till scans all day with one token.
# Verification never goes back; a till's standing (approved, trained, suspended) is read from
# the merchant on every scan, not from this cache. Unverified users are not kept (their state
# changes when they verify). A revoked token or deactivated user is honoured again at most
# TOKEN_CACHE_SECONDS later.
TOKEN_CACHE_SECONDS = 10.0
_token_cache = memo.new_dict("consumers.api_tokens")


def _cached_user(key: str) -> User | None:
    """The user of a token (by its keyed hash) from this process's memory only (None: ask the
    database)."""
    cached = _token_cache.get(key)
    if cached is not None:
        stored_at, user, expires_at = cached
        if time.monotonic() - stored_at < TOKEN_CACHE_SECONDS and clock.now() < expires_at:
            return user  # type: ignore[no-any-return]
        _token_cache.pop(key, None)
    return None


def user_for_token(raw: str) -> User | None:
    if not raw:
        return None
    key = crypto.keyed_hash("token", raw)
    user = _cached_user(key)
    if user is not None:
        return user
    # Plain SQL (huiquan.core.sql): a till or a claimant whose token is not cached yet pays for
    # this on the rush path, where the ORM's query building cost more than the query.
    row = sql.fetch_one(_token_sql(connection.vendor), [key, sql.db_time(clock.now())],
                        times=(0,))
    if row is None:
        return None
    split = 1 + sql.width(User)
    user = sql.instance(User, row[1:split])
    consumer = sql.instance(Consumer, row[split:]) if row[split] is not None else None
    user._state.fields_cache["consumer"] = consumer  # user.consumer without another query
    if (consumer is not None and consumer.is_verified) or user.role == Role.MERCHANT:
        if len(_token_cache) > 100_000:
            _token_cache.clear()
        _token_cache[key] = (time.monotonic(), user, row[0])
    return user


@functools.cache
def _token_sql(vendor: str) -> str:
    """A live token's expiry, its active user and the user's consumer row (if any): one
    statement for a token this process has not seen yet (on release day, most of them)."""
    return (f"SELECT t.expires_at, {sql.columns(User, 'u')}, {sql.columns(Consumer, 'c')} "  # noqa: S608
            "FROM consumers_apitoken t JOIN core_user u ON u.id = t.user_id "
            "LEFT JOIN consumers_consumer c ON c.user_id = u.id "
            "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.is_active")


def consumer_of(user: Any) -> Consumer | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.consumer  # type: ignore[no-any-return]  # loaded with the token's user
    except Consumer.DoesNotExist:
        return None
