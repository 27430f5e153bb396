"""Money is integer fen (ARCHITECTURE.md invariant 1). Yuan exist only at the edges."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import NewType

Fen = NewType("Fen", int)

FEN_PER_YUAN = 100
MAX_FEN = 10**15  # far above any county's budget; keeps BigIntegerField and JSON safe


class MoneyFormatError(ValueError):
    """Text that is not an amount of money in yuan with at most two decimals."""


def fen(value: int) -> Fen:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"money must be integer fen, got {type(value).__name__}")
    return Fen(value)


def parse_yuan(text: str | int, *, allow_zero: bool = False) -> Fen:
    """Read a yuan amount typed by a person ("300000", "1,234.50") into fen.

    Refuses negatives, more than two decimals, exponents, NaN and absurd sizes.
    """
    if isinstance(text, bool):
        raise MoneyFormatError("金额格式不正确")
    if isinstance(text, int):
        text = str(text)
    cleaned = text.strip().replace(",", "").replace("，", "").replace("元", "").strip()
    if not cleaned or any(c not in "0123456789." for c in cleaned) or cleaned.count(".") > 1:
        raise MoneyFormatError("金额只能是数字，最多两位小数，例如 300000 或 1234.50")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - guarded above
        raise MoneyFormatError("金额格式不正确") from exc
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise MoneyFormatError("金额最多精确到分（两位小数）")
    value = int(amount * FEN_PER_YUAN)
    if value < 0 or (value == 0 and not allow_zero):
        raise MoneyFormatError("金额必须大于零")
    if value > MAX_FEN:
        raise MoneyFormatError("金额过大")
    return Fen(value)


def format_yuan(value: int, *, symbol: bool = False) -> str:
    """12345678 fen -> "123,456.78" (or "¥123,456.78")."""
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(int(value)), FEN_PER_YUAN)
    text = f"{sign}{whole:,}.{cents:02d}"
    return f"¥{text}" if symbol else text
