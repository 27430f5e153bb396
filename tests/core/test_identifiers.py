"""Typed identifiers are canonical before anything else sees them (issue 11, item 1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiquan.core import identifiers
from huiquan.core.errors import DomainError


def _bad() -> DomainError:
    return DomainError("bad", code="BAD")


@pytest.mark.parametrize(("typed", "canonical"), [
    ("13800138000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),  # fullwidth
    ("138 0013 8000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("¹³⁸⁰⁰¹³⁸⁰⁰⁰", "13800138000"),  # superscripts are compatibility forms of digits
])
def test_typed_digits_become_ascii(typed: str, canonical: str) -> None:
    assert identifiers.digits(typed, _bad) == canonical


@pytest.mark.parametrize("typed", ["١٣٨٠٠١٣٨٠٠٠", "१३८००१३८०००", "13800l38000", "", None, "1" * 65])
def test_other_scripts_and_letters_are_refused(typed: object) -> None:
    with pytest.raises(DomainError):
        identifiers.digits(typed, _bad)


# Every character Unicode calls a decimal digit that is not an ASCII digit.
NON_ASCII_DIGITS = st.characters(categories=("Nd",)).filter(lambda c: not c.isascii())


@given(st.lists(NON_ASCII_DIGITS, min_size=1, max_size=20), st.text("0123456789", max_size=10))
def test_no_non_ascii_decimal_digit_survives(foreign: list[str], ascii_part: str) -> None:
    text = ascii_part + "".join(foreign)
    try:
        result = identifiers.digits(text, _bad)
    except DomainError:
        return
    # Accepted only where NFKC made it ASCII (e.g. fullwidth, mathematical digits).
    assert identifiers.is_ascii_digits(result)


@pytest.mark.parametrize("value", [True, 1.5, "1e3", "-1", "９" * 20, 2**63, "٣"])
def test_whole_numbers_refuse_what_is_not_one(value: object) -> None:
    with pytest.raises(DomainError):
        identifiers.whole_number(value, _bad)


def test_whole_numbers_accept_fullwidth_and_json_ints() -> None:
    assert identifiers.whole_number("１２", _bad) == 12
    assert identifiers.whole_number(12, _bad) == 12
    assert identifiers.whole_number(2**63 - 1, _bad) == 2**63 - 1
