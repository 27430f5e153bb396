"""The payment code (付款码, R-USE-1): what the till scans. It names the voucher and carries a
6-digit one-time value derived from the voucher's secret and the current minute, so a
screenshot stops working after rotation (one minute, plus one minute of grace for the scan)."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

from huiquan.core import clock
from huiquan.vouchers.models import Voucher
from huiquan.vouchers.selectors import voucher_by_id

STEP_SECONDS = 60
CODE_RE = re.compile(r"^HQ(\d{1,12})-(\d{6})$")


def _step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def _digits(secret: str, step: int) -> str:
    mac = hmac.new(bytes.fromhex(secret), step.to_bytes(8, "big"), hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:4], 'big') % 10**6:06d}"


def current_code(voucher: Voucher, at: datetime | None = None) -> str:
    return f"HQ{voucher.pk}-{_digits(voucher.paycode_secret, _step(at or clock.now()))}"


def seconds_left(at: datetime | None = None) -> int:
    moment = at or clock.now()
    return STEP_SECONDS - int(moment.timestamp()) % STEP_SECONDS


def resolve(code: str, at: datetime | None = None) -> Voucher | None:
    """The voucher a scanned code belongs to, or None when forged or rotated away."""
    match = CODE_RE.match((code or "").strip().upper())
    if not match:
        return None
    voucher = voucher_by_id(int(match.group(1)))
    if voucher is None:
        return None
    step = _step(at or clock.now())
    given = match.group(2)
    if any(hmac.compare_digest(given, _digits(voucher.paycode_secret, s))
           for s in (step, step - 1)):
        return voucher
    return None
