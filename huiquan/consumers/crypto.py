"""Encryption and keyed hashing of resident ID numbers (invariant 7).

Keys come from settings: ``HUIQUAN_ID_KEYS`` (Fernet keys, newest first: the first encrypts,
all decrypt, so keys can be rotated) and ``HUIQUAN_ID_HASH_KEY`` (HMAC key for uniqueness;
never rotated, or uniqueness would break).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in settings.HUIQUAN_ID_KEYS])


def encrypt_id(number: str) -> str:
    return _fernet().encrypt(number.encode()).decode()


def decrypt_id(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def hash_id(number: str) -> str:
    return hmac.new(settings.HUIQUAN_ID_HASH_KEY.encode(), number.upper().encode(),
                    hashlib.sha256).hexdigest()


def mask_id(number: str) -> str:
    """1410xxxxxxxxxx123X -> "1410**********123X"."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def keyed_hash(purpose: str, value: str) -> str:
    key = hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
