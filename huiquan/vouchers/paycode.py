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


def parse(code: str) -> tuple[int, str] | None:
    """(voucher id, the six digits) of a well-formed code, or None."""
    match = CODE_RE.match((code or "").strip().upper())
    return (int(match.group(1)), match.group(2)) if match else None


def matches(secret: str, digits: str, at: datetime | None = None) -> bool:
    """Whether the digits are the voucher's code of this minute or of the one before."""
    step = _step(at or clock.now())
    return any(hmac.compare_digest(digits, _digits(secret, s)) for s in (step, step - 1))


def resolve(code: str, at: datetime | None = None) -> Voucher | None:
    """The voucher a scanned code belongs to, or None when forged or rotated away."""
    parsed = parse(code)
    if parsed is None:
        return None
    voucher = voucher_by_id(parsed[0])
    if voucher is None or not matches(voucher.paycode_secret, parsed[1], at):
        return None
    return voucher
