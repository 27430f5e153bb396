"""Staff accounts of the back office (issue 11, item 8; R-ROLE-1).

Created, re-linked and disabled from the command line (`huiquan staff add|link|disable|list`);
each write is one service here, in one transaction, with its audit entry.

A new account has no password. `add` (and `link`) give a **set-password link**
(`/office/set-password/<uid>/<token>/`): the person opens it, chooses a password, then logs in at
`/office/login/`. The token is Django's password-reset token: it is signed with the secret key,
expires after ``PASSWORD_RESET_TIMEOUT`` (3 days) and covers the account's password hash, so it
works once — setting the password changes the hash and kills the link. Nobody but the person ever
knows the password, and a link left in a terminal's scroll-back is dead after use or 3 days.

Only office roles are created here: consumers and merchants sign in by phone (one-time code).
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from huiquan.audit.services import record
from huiquan.consumers.errors import ConsumerCode
from huiquan.consumers.services import revoke_api_tokens
from huiquan.core import identifiers
from huiquan.core.errors import DomainError, NotFound
from huiquan.core.models import User
from huiquan.core.roles import STAFF_ROLES, Role, require_role
from huiquan.staff.errors import StaffCode, StaffError

# Office roles in the order people read them (the bureau first, the system admin last).
OFFICE_ROLES = [r for r in Role if r in STAFF_ROLES]
ADMIN_ROLES = frozenset({Role.ADMIN})  # who may manage staff accounts (R-ROLE-1)
# Phone sign-in makes users named c<phone> / m<phone>: a staff name of that shape would collide.
_PHONE_USERNAME = re.compile(r"^[cm]\d{11}$")
MAX_NAME = 64


@dataclass(frozen=True)
class SetPasswordLink:
    user: User
    path: str  # /office/set-password/<uid>/<token>/


def normalise_staff_phone(value: object) -> str:
    """A staff member's mobile number, canonical (NFKC, ASCII digits, no +86), or "" if none."""
    text = identifiers.compact(value).removeprefix("+86")
    if not text:
        return ""

    def error() -> DomainError:
        return StaffError("手机号格式不正确：请输入 11 位中国大陆手机号", code=ConsumerCode.PHONE_INVALID)

    phone = identifiers.digits(text, error, length=11)
    if not phone.startswith("1"):
        raise error()
    return phone


def _username(value: object) -> str:
    name = User.normalize_username(identifiers.nfkc(value))
    try:
        if not name or len(name) > 150:
            raise ValidationError("length")
        UnicodeUsernameValidator()(name)
    except ValidationError:
        raise StaffError("用户名只能由字母、数字和 @ . + - _ 组成，最长 150 个字符",
                         code=StaffCode.USERNAME_INVALID) from None
    if _PHONE_USERNAME.match(name):
        raise StaffError("用户名不能是 c 或 m 加 11 位数字（这是手机登录账号的格式）",
                         code=StaffCode.USERNAME_INVALID)
    return name


def _text(value: object, *, label: str, code: str) -> str:
    text = " ".join(identifiers.nfkc(value).split())
    if not text or len(text) > MAX_NAME:
        raise StaffError(f"请填写{label}（最多 {MAX_NAME} 个字）", code=code)
    return text


def _role(value: object) -> Role:
    if value not in {r.value for r in OFFICE_ROLES}:
        names = "、".join(f"{r.value}（{r.label}）" for r in OFFICE_ROLES)
        raise StaffError(f"角色只能是：{names}；消费者和商户用手机验证码登录，不在这里建账号",
                         code=StaffCode.ROLE_INVALID)
    return Role(str(value))


def _check_actor(actor: Any, action: str) -> None:
    """The command line runs as the server's operator (actor None, recorded as "system" with the
    OS user); a named actor must be an active system admin."""
    if actor is not None:
        require_role(actor, ADMIN_ROLES, action=action)


def _via() -> dict[str, str]:
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry (some containers)
        os_user = "?"
    return {"via": "command line", "os_user": os_user}


def _office_user(username: object) -> User:
    user = User.objects.filter(username=identifiers.nfkc(username),
                               role__in=[r.value for r in OFFICE_ROLES]).first()
    if user is None:
        raise NotFound(f"找不到后台账号 {identifiers.nfkc(username)}", code=StaffCode.STAFF_NOT_FOUND)
    return user


def set_password_link(user: User) -> SetPasswordLink:
    """A fresh one-use link for ``user`` (valid until the password changes, at most 3 days)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return SetPasswordLink(user, reverse("office:set_password",
                                         kwargs={"uidb64": uid, "token": token}))


def snapshot(user: User) -> dict[str, Any]:
    """What the audit log keeps of an account (never a password or its hash)."""
    return {"username": user.username, "role": user.role, "display_name": user.display_name,
            "organisation": user.organisation, "phone": user.phone, "active": user.is_active}


@transaction.atomic(durable=True)
def add_staff(*, username: str, role: str, display_name: str, organisation: str,
              phone: str = "", actor: Any = None) -> SetPasswordLink:
    """Create an office account with no password and return its set-password link (R-ROLE-1).

    One role per user; the system admin role also gets Django's staff and superuser flags, which
    /admin/ needs (and only that role may open /admin/: huiquan.core.admin_site)."""
    _check_actor(actor, "新建后台账号")
    user = User(username=_username(username), role=_role(role),
                display_name=_text(display_name, label="姓名", code=ConsumerCode.NAME_INVALID),
                organisation=_text(organisation, label="单位", code=StaffCode.ORGANISATION_INVALID),
                phone=normalise_staff_phone(phone))
    user.is_staff = user.is_superuser = user.role == Role.ADMIN
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise StaffError(f"用户名 {user.username} 已被使用", code=StaffCode.USERNAME_TAKEN,
                         status=409) from None
    record(actor=actor, action="staff.add", obj_type="user", obj_id=user.pk,
           summary=f"新建后台账号 {user.username}（{Role(user.role).label}）",
           after={**snapshot(user), **_via()})
    return set_password_link(user)


@transaction.atomic(durable=True)
def reissue_password_link(*, username: str, actor: Any = None) -> SetPasswordLink:
    """A new set-password link for an active office account (a lost password, an expired link).

    The current password stops working at once and every session of the account ends (Django
    checks each session against the password hash): whoever knew the old one is out."""
    _check_actor(actor, "重设后台账号密码")
    user = _office_user(username)
    if not user.is_active:
        raise StaffError(f"账号 {user.username} 已停用，不能重设密码", code=StaffCode.STAFF_DISABLED,
                         status=409)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    record(actor=actor, action="staff.password_link", obj_type="user", obj_id=user.pk,
           summary=f"为 {user.username} 生成设置密码链接（原密码作废）", after=_via())
    return set_password_link(user)


@transaction.atomic(durable=True)
def disable_staff(*, username: str, actor: Any = None) -> bool:
    """Deactivate an office account: it can no longer log in, its sessions end (inactive users
    are anonymous to Django, and the password is made unusable so an old session stays dead even
    if the account is switched on again in /admin/), and its API tokens are revoked.

    Returns False when the account was already disabled (nothing written)."""
    _check_actor(actor, "停用后台账号")
    user = _office_user(username)
    if not user.is_active:
        return False
    before = snapshot(user)
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    revoked = revoke_api_tokens(user=user)
    record(actor=actor, action="staff.disable", obj_type="user", obj_id=user.pk,
           summary=f"停用后台账号 {user.username}", before=before,
           after={**snapshot(user), "tokens_revoked": revoked, **_via()})
    return True


def staff_accounts() -> list[User]:
    """Every office account, by role then user name (selector for `huiquan staff list`)."""
    order = {r.value: n for n, r in enumerate(OFFICE_ROLES)}
    users = list(User.objects.filter(role__in=list(order)).order_by("username"))
    return sorted(users, key=lambda u: order[u.role])


@transaction.atomic(durable=True)
def set_password_from_link(*, user: User, password: str) -> None:
    """The person behind a set-password link chooses their password (already validated by the
    form against AUTH_PASSWORD_VALIDATORS). The link dies with the old password hash."""
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor=user, action="staff.password_set", obj_type="user", obj_id=user.pk,
           summary=f"{user.username} 通过链接设置了密码")
