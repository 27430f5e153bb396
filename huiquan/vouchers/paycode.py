"""The payment code (付款码, R-USE-1): what the till scans.

18 digits, as long as a bank's payment code (and a Code 128 barcode holds it): the voucher's
**handle** (8 digits, random, drawn at claim and stored under a unique index: it names the voucher
without showing its sequential id) followed by a **one-time value** (10 digits, an HMAC of the
voucher's secret and the current minute). A code is accepted for its minute and the next, so a
screenshot stops working after at most two minutes. Why this split, and how many guesses could
ever succeed: docs/decisions.md, "Payment codes, scan lock-out, no 500 (issue 11)".

Whatever is typed or scanned is made canonical first (``core.identifiers``: NFKC, spaces and
hyphens dropped, then ASCII digits only), so ``１２３…`` from a fullwidth keyboard is the same code
and ``١٢٣…`` is simply not a code (never a 500)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from huiquan.core import clock, identifiers
from huiquan.core.errors import DomainError
from huiquan.vouchers.errors import VoucherCode
from huiquan.vouchers.models import Voucher
from huiquan.vouchers.selectors import voucher_by_handle

STEP_SECONDS = 60
HANDLE_DIGITS = 8
OTP_DIGITS = 10
LENGTH = HANDLE_DIGITS + OTP_DIGITS  # 18, as a bank's 付款码
HANDLE_LOW, HANDLE_HIGH = 10 ** (HANDLE_DIGITS - 1), 10**HANDLE_DIGITS  # no leading zero


class _NotACode(DomainError):
    code = VoucherCode.PAYMENT_CODE_INVALID


def new_handle() -> int:
    """A fresh random handle (the caller stores it under the unique index; a clash is redrawn)."""
    return HANDLE_LOW + secrets.randbelow(HANDLE_HIGH - HANDLE_LOW)


def _step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def _otp(secret: str, step: int) -> str:
    mac = hmac.new(bytes.fromhex(secret), step.to_bytes(8, "big"), hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10**OTP_DIGITS:0{OTP_DIGITS}d}"


def current_code(voucher: Voucher, at: datetime | None = None) -> str:
    return f"{voucher.paycode_handle:0{HANDLE_DIGITS}d}" + _otp(
        voucher.paycode_secret, _step(at or clock.now()))


def display(code: str) -> str:
    """The code in groups of four and two, as a bank app shows it (easier to read aloud)."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def seconds_left(at: datetime | None = None) -> int:
    moment = at or clock.now()
    return STEP_SECONDS - int(moment.timestamp()) % STEP_SECONDS


def canonical(code: object) -> str | None:
    """The 18 ASCII digits of a typed or scanned code, or None when it cannot be a code."""
    try:
        return identifiers.digits(code, lambda: _NotACode(""), length=LENGTH)
    except _NotACode:
        return None


def parse(code: object) -> tuple[int, str] | None:
    """(handle, the one-time digits) of a well-formed code, or None."""
    text = canonical(code)
    if text is None or text[0] == "0":
        return None
    return int(text[:HANDLE_DIGITS]), text[HANDLE_DIGITS:]


def matches(secret: str, otp: str, at: datetime | None = None) -> bool:
    """Whether the digits are the voucher's code of this minute or of the one before."""
    step = _step(at or clock.now())
    return any(hmac.compare_digest(otp, _otp(secret, s)) for s in (step, step - 1))


def resolve(code: object, at: datetime | None = None) -> Voucher | None:
    """The voucher a scanned code belongs to, or None when forged or rotated away."""
    parsed = parse(code)
    if parsed is None:
        return None
    voucher = voucher_by_handle(parsed[0])
    if voucher is None or not matches(voucher.paycode_secret, parsed[1], at):
        return None
    return voucher
