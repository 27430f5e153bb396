"""Identifiers people type, made canonical at the edge (issue "Hostile input", item 1).

Unicode has many characters that ``str.isdigit()`` and ``int()`` accept as digits (Arabic-Indic
٣, Devanagari ३, fullwidth ３, superscript ³, …). An identifier that is checked, hashed or stored
in one script and typed in another would otherwise be two different values for one person. So
every typed identifier (resident ID, phone, payment code, GTIN, USCC, quantities, prices, ids in
URLs and forms) passes through here first:

1. NFKC: compatibility forms become their plain form (fullwidth ３ → 3, superscript ³ → 3,
   fullwidth Ｘ → X);
2. the separators people type (spaces, hyphens) are dropped where the field allows them;
3. then only ASCII is accepted: digits, and letters only where the field has them (the ID's
   check character X, the USCC's letters). Anything else is the field's own error.

Only the canonical text is checked, hashed and stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from huiquan.core.errors import DomainError

# What people put between groups of digits: spaces of every kind, hyphens and dashes.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff0d]+")
MAX_TYPED = 256  # no identifier is longer; longer input is refused before any work


def nfkc(value: object) -> str:
    """The text in NFKC, stripped; None becomes "".

    NFKC can lengthen a text many times (one ``ﷺ`` becomes 18 characters, ``㍿`` four), so a
    limit is checked on what this returns, never on what was typed (``nfkc_within``). Input past
    ``MAX_TYPED * 4`` characters is cut first only to bound the work: what remains is still far
    longer than any identifier, so the caller's length check refuses it."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return unicodedata.normalize("NFKC", text[: MAX_TYPED * 4]).strip()


def nfkc_within(value: object, max_length: int, error: Callable[[], DomainError]) -> str:
    """``nfkc(value)``, or ``error()`` when the normalised text is longer than ``max_length``:
    never cut in the middle to fit (hostile input second round, F8)."""
    text = nfkc(value)
    if len(text) > max_length:
        raise error()
    return text


def compact(value: object) -> str:
    """NFKC without the separators people type between digit groups."""
    return _SEPARATORS.sub("", nfkc(value))


def is_ascii_digits(text: str) -> bool:
    """Only 0-9 (``str.isdigit`` also accepts ٣, ३, ³ …)."""
    return text.isascii() and text.isdigit()


def digits(value: object, error: Callable[[], DomainError], *, length: int | None = None,
           max_length: int = 64) -> str:
    """The canonical ASCII digits of a typed number (separators dropped), or ``error()``."""
    text = compact(value)
    if not text or not is_ascii_digits(text) or len(text) > max_length:
        raise error()
    if length is not None and len(text) != length:
        raise error()
    return text


def read_any_digits(value: object) -> str:
    """``compact`` with every Unicode decimal digit (Arabic-Indic ٣, Devanagari ३ …) read as the
    ASCII digit it stands for, upper-cased. Only for finding what was stored before the edge was
    canonical (``huiquan consumers duplicates``); never to accept what a person types."""
    return "".join(str(unicodedata.decimal(c)) if not c.isascii()
                   and unicodedata.decimal(c, None) is not None else c
                   for c in compact(value).upper())


def whole_number(value: object, error: Callable[[], DomainError], *, minimum: int = 0,
                 maximum: int = 2**63 - 1) -> int:
    """A non-negative integer typed or sent by a person (a quantity, an id), within bounds.

    An ``int`` (JSON) is checked for its bounds; text must be ASCII digits after NFKC. Booleans
    and floats are refused: ``True`` is not a quantity."""
    if isinstance(value, bool):
        raise error()
    if isinstance(value, int):
        number = value
    else:
        text = "".join(nfkc(value).split())  # "-1" is not 1: only spaces are dropped here
        if not text or not is_ascii_digits(text) or len(text) > 19:
            raise error()
        number = int(text)
    if not minimum <= number <= maximum:
        raise error()
    return number
