"""Reads about residents' accounts for operators (R-CLAIM-1: one person, one account)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q

from huiquan.consumers.models import Consumer
from huiquan.core import identifiers
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
