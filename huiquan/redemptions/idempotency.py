"""A request's idempotency key and fingerprint (the till's sales and returns)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from huiquan.core.errors import CoreCode
from huiquan.redemptions.errors import RedemptionError


def body_hash(payment_code: str, lines: Any) -> str:
    text = json.dumps({"code": payment_code, "lines": lines}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def clean_key(key: str | None) -> str:
    key = (key or "").strip()
    if len(key) > 64:
        raise RedemptionError("Idempotency-Key 最长 64 个字符", code=CoreCode.INVALID_INPUT)
    return key
