"""Sign-up by phone code, real name, and API tokens (R-CLAIM-1, invariant 7)."""

from __future__ import annotations

import functools
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from huiquan.consumers import crypto, sms
from huiquan.consumers.errors import AuthError, IdentityError, RateLimited
from huiquan.consumers.models import ApiToken, Consumer, OtpCode
from huiquan.core import clock, sql
from huiquan.core.models import User
from huiquan.core.roles import Role

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
OTP_TTL = timedelta(minutes=5)
OTP_RESEND_AFTER = timedelta(seconds=60)
OTP_PER_PHONE_PER_HOUR = 5
OTP_PER_IP_PER_HOUR = 20
OTP_MAX_WRONG = 5
TOKEN_TTL = timedelta(days=30)
NAME_RE = re.compile(r"^[\u4e00-\u9fff·]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,40}$")


def normalise_phone(phone: object) -> str:
    text = re.sub(r"[\s-]", "", str(phone or ""))
    text = text.removeprefix("+86")
    if not PHONE_RE.match(text):
        raise AuthError("手机号格式不正确：请输入 11 位中国大陆手机号", code="PHONE_INVALID",
                        status=422)
    return text


def request_otp(*, phone: str, ip: str | None) -> None:
    """Send a 6-digit code. Rate-limited per phone and per IP (counted in the database, so
    every worker and machine sees the same counts)."""
    phone = normalise_phone(phone)
    now = clock.now()
    hour_ago = now - timedelta(hours=1)
    recent = OtpCode.objects.filter(phone=phone, created_at__gt=hour_ago)
    last = recent.order_by("-created_at").first()
    if last is not None and now - last.created_at < OTP_RESEND_AFTER:
        wait = int((OTP_RESEND_AFTER - (now - last.created_at)).total_seconds()) + 1
        raise RateLimited(f"验证码已发送，请 {wait} 秒后再试")
    if recent.count() >= OTP_PER_PHONE_PER_HOUR:
        raise RateLimited("该手机号获取验证码过于频繁，请一小时后再试")
    if ip and OtpCode.objects.filter(ip=ip, created_at__gt=hour_ago).count() >= OTP_PER_IP_PER_HOUR:
        raise RateLimited("当前网络获取验证码过于频繁，请稍后再试")
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        otp = OtpCode.objects.create(phone=phone, ip=ip, code_hash=crypto.keyed_hash("otp", phone
                                     + code), created_at=now, expires_at=now + OTP_TTL)
    # The code row is committed first: a gateway failure leaves an unusable code, never a
    # code the person cannot receive but that counts as valid.
    sms.provider().send(phone=phone, body=f"【惠券】您的验证码是 {code}，5 分钟内有效。请勿告诉他人。",
                        idempotency_key=f"otp:{otp.pk}")


@dataclass(frozen=True)
class Session:
    user: User
    consumer: Consumer | None  # None for merchant staff
    token: str


@transaction.atomic(durable=True)
def _verify_otp(*, phone: str, code: str, role: str) -> Session:
    phone = normalise_phone(phone)
    now = clock.now()
    otp = (OtpCode.objects.select_for_update().filter(phone=phone, used_at__isnull=True)
           .order_by("-created_at").first())
    if otp is None:
        raise AuthError("请先获取验证码")
    if otp.failed_attempts >= OTP_MAX_WRONG:
        raise AuthError("验证码错误次数过多，已失效：请重新获取", code="OTP_LOCKED")
    if now >= otp.expires_at:
        raise AuthError("验证码已过期：请重新获取", code="OTP_EXPIRED")
    given = re.sub(r"\s", "", str(code or ""))
    if not secrets.compare_digest(otp.code_hash, crypto.keyed_hash("otp", phone + given)):
        raise _WrongCode(OTP_MAX_WRONG - otp.failed_attempts - 1)
    OtpCode.objects.filter(pk=otp.pk).update(used_at=now)
    consumer = Consumer.objects.filter(phone=phone).select_related("user").first()
    # Merchant staff sign in through the same codes (their phone is on their user row); a phone
    # is one account with one role, so a consumer's phone cannot also open a merchant account.
    staff = None if consumer else User.objects.filter(phone=phone, role=Role.MERCHANT).first()
    if staff is not None and not staff.is_active:
        raise AuthError("该账号已停用", code="ACCOUNT_DISABLED", status=403)
    if consumer is not None and role == Role.MERCHANT:
        raise AuthError("该手机号已注册为消费者账号：请用另一个手机号登记商户",
                        code="PHONE_IS_CONSUMER", status=409)
    if consumer is None and staff is None:
        user = User.objects.create_user(username=f"{'m' if role == Role.MERCHANT else 'c'}{phone}",
                                        role=role, phone=phone)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        if role == Role.MERCHANT:
            staff = user
        else:
            consumer = Consumer.objects.create(user=user, phone=phone, created_at=now)
    user = staff if staff is not None else consumer.user  # type: ignore[union-attr]
    raw = issue_token_string(user.pk, now + TOKEN_TTL)
    ApiToken.objects.create(user=user, key_hash=crypto.keyed_hash("token", raw),
                            created_at=now, expires_at=now + TOKEN_TTL)
    return Session(user, consumer, raw)


TOKEN_PREFIX = "hq1"  # noqa: S105 - a format marker, not a secret


def issue_token_string(user_id: int, expires_at: Any) -> str:
    """`hq1.<user>.<expiry>.<nonce>.<signature>`: random enough to be a secret, and signed, so a
    forged token is recognised without the database. The database row (by hash) stays the
    authority for revocation."""
    body = f"{TOKEN_PREFIX}.{user_id}.{int(expires_at.timestamp())}.{secrets.token_hex(16)}"
    return f"{body}.{crypto.keyed_hash('token-signature', body)[:32]}"


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


class _WrongCode(AuthError):
    def __init__(self, left: int):
        super().__init__(f"验证码不正确，还可以再试 {max(left, 0)} 次" if left > 0
                         else "验证码错误次数过多，已失效：请重新获取",
                         code="OTP_INVALID" if left > 0 else "OTP_LOCKED")


def verify_otp(*, phone: str, code: str, role: str = Role.CONSUMER) -> Session:
    """Check a code (single use, expires in 5 minutes, locked after 5 wrong tries); sign in, or
    sign up on first use. Returns a new bearer token."""
    try:
        return _verify_otp(phone=phone, code=code, role=role)
    except _WrongCode:
        # The durable block rolled back the increment: book it in its own transaction.
        with transaction.atomic():
            otp = (OtpCode.objects.select_for_update()
                   .filter(phone=normalise_phone(phone), used_at__isnull=True)
                   .order_by("-created_at").first())
            if otp is not None:
                otp.failed_attempts += 1
                otp.save(update_fields=["failed_attempts"])
                left = OTP_MAX_WRONG - otp.failed_attempts
            else:  # pragma: no cover - raced with a new code
                left = 0
        raise _WrongCode(left) from None


# Tokens of verified consumers and of merchant staff, remembered for a few seconds per process:
# on release day the same people tap again and again, and a till scans all day with one token.
# Verification never goes back; a till's standing (approved, trained, suspended) is read from
# the merchant on every scan, not from this cache. Unverified users are not kept (their state
# changes when they verify). A revoked token or deactivated user is honoured again at most
# TOKEN_CACHE_SECONDS later.
TOKEN_CACHE_SECONDS = 10.0
_token_cache: dict[str, tuple[float, Any, Any]] = {}


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


def validate_id_number(number: object) -> tuple[str, list[str]]:
    """python-stdnum cn.ric: length, format, check digit and birth date. An unknown area code
    (or one not yet assigned in the birth year — numbers keep the code of registration) is a
    warning, not a refusal: stdnum's own validate() would refuse it."""
    text = ric.compact(str(number or "")).upper()
    if len(text) != 18:
        raise IdentityError("身份证号应为 18 位")
    if not text[:-1].isdigit() or not (text[-1].isdigit() or text[-1] == "X"):
        raise IdentityError("身份证号格式不正确：前 17 位是数字，最后一位是数字或 X")
    if text[-1] != ric.calc_check_digit(text):
        raise IdentityError("身份证号校验位不正确，请核对后重新输入")
    try:
        ric.get_birth_date(text)
    except (InvalidComponent, ValueError) as exc:
        raise IdentityError("身份证号中的出生日期不正确") from exc
    warnings = []
    try:
        ric.get_birth_place(text)
    except InvalidComponent:
        warnings.append("身份证号的地区码不在行政区划表中（或当年尚未启用），已按输入记录")
    return text, warnings


@transaction.atomic(durable=True)
def submit_identity(*, consumer: Consumer, real_name: str, id_number: str) -> list[str]:
    """R-CLAIM-1: name + resident ID; one ID, one account. Returns warnings (if any)."""
    name = re.sub(r"\s+", " ", str(real_name or "")).strip()
    if not NAME_RE.match(name):
        raise IdentityError("请填写与身份证一致的姓名", code="NAME_INVALID")
    number, warnings = validate_id_number(id_number)
    consumer = Consumer.objects.select_for_update().get(pk=consumer.pk)
    if consumer.verified_at is not None:
        raise IdentityError("您已完成实名认证，如需更正请联系客服", code="ALREADY_VERIFIED",
                            status=409)
    id_hash = crypto.hash_id(number)
    if Consumer.objects.filter(id_hash=id_hash).exclude(pk=consumer.pk).exists():
        raise IdentityError("该身份证号已在另一个账号实名：一人只能有一个账号", code="ID_TAKEN",
                            status=409)
    consumer.real_name = name
    consumer.id_cipher = crypto.encrypt_id(number)
    consumer.id_hash = id_hash
    consumer.id_masked = crypto.mask_id(number)
    consumer.verified_at = clock.now()
    try:
        with transaction.atomic():
            consumer.save()
    except IntegrityError as exc:  # a concurrent sign-up with the same ID won the race
        raise IdentityError("该身份证号已在另一个账号实名：一人只能有一个账号", code="ID_TAKEN",
                            status=409) from exc
    return warnings


def consumer_of(user: Any) -> Consumer | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.consumer  # type: ignore[no-any-return]  # loaded with the token's user
    except Consumer.DoesNotExist:
        return None
