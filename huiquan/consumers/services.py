"""Sign-up by phone code, real name, and API tokens (R-CLAIM-1, invariant 7)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from huiquan.audit.services import record
from huiquan.consumers import crypto, privacy, sms
from huiquan.consumers.errors import AuthError, ConsumerCode, IdentityError, RateLimited
from huiquan.consumers.identity import clean_name, normalise_phone, validate_id_number
from huiquan.consumers.models import ApiToken, Consumer, IdentityConsent, OtpCode, OtpIpGuard
from huiquan.consumers.selectors import TOKEN_PREFIX
from huiquan.core import clock, guards, identifiers, locks
from huiquan.core.errors import PermissionRefused
from huiquan.core.models import User
from huiquan.core.roles import Role

OTP_TTL = timedelta(minutes=5)
OTP_RESEND_AFTER = timedelta(seconds=60)
OTP_PER_PHONE_PER_HOUR = 5
OTP_PER_IP_PER_HOUR = 20
OTP_MAX_WRONG = 5  # tries per code, the right one included
# Wrong codes from one client address (any phones): a window, a limit, then a lock (F5). Set
# well above what a crowd behind one carrier NAT mistypes on release day.
OTP_VERIFY_WINDOW = timedelta(minutes=10)
OTP_VERIFY_PER_IP = 50
OTP_VERIFY_LOCKED_FOR = timedelta(minutes=15)
TOKEN_TTL = timedelta(days=30)
# How long a resident's browser stays signed in (set on the session at sign-in; staff keep the
# site's 8-hour default). Revoked by signing out, here or on every device (sign_out_everywhere).
RESIDENT_SESSION = timedelta(days=30)


def request_otp(*, phone: str, ip: str | None) -> None:
    """Send a 6-digit code. Rate-limited per phone and per IP (counted in the database, so
    every worker and machine sees the same counts). The counts and the new code's row are one
    transaction, serialized per phone and per address, so a burst of parallel requests cannot
    all read "under the limit" before any of them writes."""
    phone = normalise_phone(phone)
    code = f"{secrets.randbelow(10**6):06d}"
    if guards.enabled():
        otp = _record_otp(phone=phone, ip=ip, code=code)
    else:  # the old shape the race test must catch: count, then write in another transaction
        _check_otp_limits(phone=phone, ip=ip)
        otp = _insert_otp(phone=phone, ip=ip, code=code)
    # The code row is committed first: a gateway failure leaves an unusable code, never a
    # code the person cannot receive but that counts as valid.
    sms.provider().send(phone=phone, body=f"【惠券】您的验证码是 {code}，5 分钟内有效。请勿告诉他人。",
                        idempotency_key=f"otp:{otp.pk}")


@transaction.atomic(durable=True)
def _record_otp(*, phone: str, ip: str | None, code: str) -> OtpCode:
    # SQLite: BEGIN IMMEDIATE already holds the write lock. PostgreSQL: one transaction-scoped
    # advisory lock per phone and per address, always in that order.
    locks.advisory(f"otp-phone:{phone}")
    if ip:
        locks.advisory(f"otp-ip:{ip}")
    _check_otp_limits(phone=phone, ip=ip)
    return _insert_otp(phone=phone, ip=ip, code=code)


def _check_otp_limits(*, phone: str, ip: str | None) -> None:
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
    if _between_count_and_insert is not None:
        _between_count_and_insert()


def _insert_otp(*, phone: str, ip: str | None, code: str) -> OtpCode:
    now = clock.now()
    return OtpCode.objects.create(phone=phone, ip=ip, code_hash=crypto.keyed_hash("otp", phone + code),
                                  created_at=now, expires_at=now + OTP_TTL)


# Test-only hook: runs between the limit counts and the insert (forced interleaving).
_between_count_and_insert: Any = None


@dataclass(frozen=True)
class Session:
    user: User
    consumer: Consumer | None  # None for merchant staff
    token: str



def _otp_invalid() -> AuthError:
    # "No code requested", "wrong code", "expired" and "tries used up" answer alike (code and
    # message): the answer must not tell a stranger whether, or since when, a code is pending
    # for a phone (F5). The message covers each case's remedy.
    return AuthError("验证码不正确或已失效：请核对短信中的验证码，或重新获取")


def _ip_locked() -> AuthError:
    """This address, not the phone, is locked: it says nothing about any phone's code."""
    return AuthError("当前网络输错验证码的次数过多，请稍后再试", code=ConsumerCode.OTP_LOCKED,
                     status=ConsumerCode.OTP_LOCKED.status)


def _code_matches(otp: OtpCode, phone: str, code: object) -> bool:
    """The typed code, canonical (fullwidth digits read as digits), against the stored hash."""
    given = identifiers.compact(code)
    if len(given) != 6 or not identifiers.is_ascii_digits(given):
        return False  # can never match: an ordinary wrong try
    return secrets.compare_digest(otp.code_hash, crypto.keyed_hash("otp", phone + given))


@dataclass(frozen=True)
class _WrongTry:
    last: bool  # this try was the code's last one


# Test-only: called between the check and the count in the unguarded (old) shape, so a race test
# can let every guess be checked before any is counted.
_between_check_and_count: Callable[[], None] | None = None


@transaction.atomic(durable=True)
def _verify_otp(*, phone: str, code: str, role: str) -> Session | _WrongTry:
    now = clock.now()
    otp = (OtpCode.objects.select_for_update().filter(phone=phone, used_at__isnull=True)
           .order_by("-created_at").first())
    if otp is None or now >= otp.expires_at:
        raise _otp_invalid()
    last = False
    if guards.enabled():
        # Take one of the code's tries before looking at the code, in the statement that checks
        # one is left, and commit it with the answer: however many guesses arrive at once, at
        # most OTP_MAX_WRONG are ever compared (the row lock on PostgreSQL and the write lock
        # on SQLite keep the count read above current).
        taken = (OtpCode.objects.filter(pk=otp.pk, used_at__isnull=True,
                                        failed_attempts__lt=OTP_MAX_WRONG)
                 .update(failed_attempts=F("failed_attempts") + 1))
        if not taken:
            raise _otp_invalid()
        last = otp.failed_attempts + 1 >= OTP_MAX_WRONG
    elif otp.failed_attempts >= OTP_MAX_WRONG:
        raise _otp_invalid()
    if not _code_matches(otp, phone, code):
        return _WrongTry(last=last)  # returned, not raised: the try taken above is committed
    OtpCode.objects.filter(pk=otp.pk).update(used_at=now)
    consumer = Consumer.objects.filter(phone=phone).select_related("user").first()
    # Merchant staff sign in through the same codes (their phone is on their user row); a phone
    # is one account with one role, so a consumer's phone cannot also open a merchant account.
    staff = None if consumer else User.objects.filter(phone=phone, role=Role.MERCHANT).first()
    if staff is not None and not staff.is_active:
        raise AuthError("该账号已停用", code=ConsumerCode.ACCOUNT_DISABLED, status=403)
    if consumer is not None and role == Role.MERCHANT:
        raise AuthError("该手机号已注册为消费者账号：请用另一个手机号登记商户",
                        code=ConsumerCode.PHONE_IS_CONSUMER, status=409)
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


def revoke_api_tokens(*, user: Any) -> int:
    """Revoke every live API token of ``user`` inside the caller's transaction (a staff account
    switched off: huiquan.staff.services.disable_staff); how many were revoked."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=clock.now())


def _count_wrong_try_unguarded(phone: str) -> None:
    """The old shape, kept only for the race test with the guards off: the count is read,
    changed in Python and written back in a transaction of its own, after the check."""
    if _between_check_and_count is not None:
        _between_check_and_count()
    with transaction.atomic():
        otp = (OtpCode.objects.filter(phone=phone, used_at__isnull=True)
               .order_by("-created_at").first())
        if otp is not None:
            otp.failed_attempts += 1
            otp.save(update_fields=["failed_attempts"])


def issue_token_string(user_id: int, expires_at: Any) -> str:
    """`hq1.<user>.<expiry>.<nonce>.<signature>`: random enough to be a secret, and signed, so a
    forged token is recognised without the database. The database row (by hash) stays the
    authority for revocation."""
    body = f"{TOKEN_PREFIX}.{user_id}.{int(expires_at.timestamp())}.{secrets.token_hex(16)}"
    return f"{body}.{crypto.keyed_hash('token-signature', body)[:32]}"


def verify_otp(*, phone: str, code: str, role: str = Role.CONSUMER,
               ip: str | None = None) -> Session:
    """Check a code (single use, expires in 5 minutes, 5 tries, counted before each check in
    the same transaction); sign in, or sign up on first use. Returns a new bearer token.

    Every refusal about the phone's code is the same OTP_INVALID (F5). ``ip``: the client's
    address; its wrong codes are counted, and past ``OTP_VERIFY_PER_IP`` in a window it is
    locked (OTP_LOCKED, an audit entry) before any code is looked at."""
    phone = normalise_phone(phone)
    if ip and _ip_is_locked(ip):
        raise _ip_locked()
    try:
        outcome = _verify_otp(phone=phone, code=code, role=role)
    except AuthError as refused:
        if refused.code == ConsumerCode.OTP_INVALID and ip:
            _count_ip_failure(ip)
        raise
    if isinstance(outcome, Session):
        return outcome
    if not guards.enabled():
        _count_wrong_try_unguarded(phone)
    if ip:
        _count_ip_failure(ip)
    raise _otp_invalid()


def _ip_is_locked(ip: str) -> bool:
    return OtpIpGuard.objects.filter(ip=ip, locked_until__gt=clock.now()).exists()


@transaction.atomic(durable=True)
def _count_ip_failure(ip: str) -> None:
    """One wrong code from ``ip``: counted in its window; the one that reaches the limit locks
    the address and leaves an audit entry a reviewer sees in /office/audit/."""
    now = clock.now()
    guard, _ = OtpIpGuard.objects.select_for_update().get_or_create(
        ip=ip, defaults={"window_start": now})
    if guard.window_start <= now - OTP_VERIFY_WINDOW:
        guard.window_start, guard.failures = now, 0
    guard.failures += 1
    locking = guard.failures >= OTP_VERIFY_PER_IP and not (
        guard.locked_until and guard.locked_until > now)
    if locking:
        guard.locked_until = now + OTP_VERIFY_LOCKED_FOR
        guard.failures = 0
        guard.window_start = now
        record(actor=None, action="consumer.otp_ip_locked", obj_type="ip", obj_id=ip,
               summary=f"{ip} 在 {int(OTP_VERIFY_WINDOW.total_seconds() // 60)} 分钟内输错验证码 "
               f"{OTP_VERIFY_PER_IP} 次，锁定 {int(OTP_VERIFY_LOCKED_FOR.total_seconds() // 60)} 分钟",
               after={"locked_until": guard.locked_until.isoformat()})
    guard.save()


def _id_taken() -> IdentityError:
    return IdentityError("该身份证号已在另一个账号实名：一人只能有一个账号", code=ConsumerCode.ID_TAKEN,
                         status=409)


@transaction.atomic(durable=True)
def submit_identity(*, consumer: Consumer, real_name: str, id_number: str,
                    privacy_consent: object, channel: str = "api") -> list[str]:
    """R-CLAIM-1: name + resident ID; one ID, one account. The resident must first agree to the
    current privacy notice (``privacy_consent`` is the version agreed to; PIPL art. 29); the
    consent is stored with its time and version in the same transaction. The ID is made
    canonical before it is checked, hashed or stored. Returns warnings (if any)."""
    version = privacy.require_consent(privacy_consent)
    name = clean_name(real_name)
    number, warnings = validate_id_number(id_number)
    consumer = Consumer.objects.select_for_update().get(pk=consumer.pk)
    if consumer.held_at is not None:
        raise IdentityError("该账号与另一账号的实名信息重复，正在人工核查，请联系客服",
                            code=ConsumerCode.ACCOUNT_HELD, status=409)
    if consumer.verified_at is not None:
        raise IdentityError("您已完成实名认证，如需更正请联系客服", code=ConsumerCode.ALREADY_VERIFIED,
                            status=409)
    id_hash = crypto.hash_id(number)
    if Consumer.objects.filter(id_hash=id_hash).exclude(pk=consumer.pk).exists():
        raise _id_taken()
    now = clock.now()
    consumer.real_name = name
    consumer.id_cipher = crypto.encrypt_id(number)
    consumer.id_hash = id_hash
    consumer.id_masked = crypto.mask_id(number)
    consumer.verified_at = now
    try:
        with transaction.atomic():
            consumer.save()
    except IntegrityError:  # a concurrent sign-up with the same ID won the race
        raise _id_taken() from None
    IdentityConsent.objects.create(consumer=consumer, notice_version=version, given_at=now,
                                   channel=channel[:8])
    return warnings


@transaction.atomic(durable=True)
def sign_out_everywhere(*, user: User) -> int:
    """End every session and API token of a phone-code user (a lost phone, a shared computer).

    Sessions are not listed by user; each carries a hash of the user's password field, so a new
    unusable password (a new random marker) makes every existing session invalid at its next
    request. Tokens are revoked in the database (the per-process token memo forgets them within
    TOKEN_CACHE_SECONDS). Returns how many tokens were revoked."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.has_usable_password():  # staff: never through here
        raise PermissionRefused("只有手机验证码登录的账号可以这样退出")
    locked.set_unusable_password()
    locked.save(update_fields=["password"])
    return ApiToken.objects.filter(user=locked, revoked_at__isnull=True).update(
        revoked_at=clock.now())
