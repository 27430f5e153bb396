"""How the resident's pages say things (issue 16, item 4) and the payment code's barcode: Code 128
that a scanner decodes back to the 18 digits (R-USE-1)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from barcode.charsets import code128

from huiquan.core.clock import SHANGHAI
from huiquan.vouchers import codes, words


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_dates_times_and_money_in_the_residents_words():
    friday = at("2024-06-21T10:00:00")
    assert words.day(friday) == "6月21日"
    assert words.when(friday) == "6月21日（周五）10:00"
    assert words.money(200_000) == "2000 元"
    assert words.money(123_450) == "1234.50 元"
    assert words.money(5) == "0.05 元"
    assert words.grade(2) == "二级"
    assert words.distance(849) == "约 850 米"
    assert words.distance(12_345) == "约 12.3 公里"


@pytest.mark.parametrize("opens, expires, said", [
    ("2024-06-21T10:00", "2024-06-26T22:00", "次周周三 22:00"),  # R-SCHED-3, the shipped rule
    ("2024-06-17T10:00", "2024-06-23T22:00", "本周周日 22:00"),
    ("2024-06-21T10:00", "2024-06-21T22:00", "当天 22:00"),
    ("2024-06-21T10:00", "2024-07-03T22:00", "7月3日（周三）22:00"),
])
def test_the_validity_is_said_from_the_releases_own_times(opens, expires, said):
    assert words.validity_rule(at(opens), at(expires)) == said


def test_a_weekly_rule_only_when_every_release_shares_it():
    fridays = [at("2024-06-21T10:00"), at("2024-06-28T10:00")]
    assert words.weekly_rule(fridays) == "每周五 10:00"
    assert words.weekly_rule([*fridays, at("2024-07-06T09:00")]) is None


def _decode_code128(modules: str) -> str:
    """A reader's work: widths back to symbols, start code C, the check symbol, digit pairs."""
    patterns = {pattern: value for value, pattern in enumerate(code128.CODES)}
    assert modules.endswith(code128.STOP + "11")
    body = modules[: -len(code128.STOP) - 2]
    symbols = [patterns[body[i:i + 11]] for i in range(0, len(body), 11)]
    start, *data, check = symbols
    assert start == code128.START_CODES["C"]
    assert (start + sum(i * s for i, s in enumerate(data, start=1))) % 103 == check
    return "".join(f"{s:02d}" for s in data)


def test_the_barcode_holds_exactly_the_18_digits_in_code_set_c():
    code = "284719305512873364"
    modules = codes.code128_modules(code)
    assert len(modules) == 11 + 9 * 11 + 11 + 13  # start, nine pairs, check, stop
    assert _decode_code128(modules) == code


def test_the_barcode_svg_has_no_style_attribute_and_draws_every_bar():
    svg = codes.code128_svg("100000000000000000")
    assert "style=" not in svg  # the Content-Security-Policy forbids style attributes
    bars = re.findall(r"M(\d+) 0h(\d+)v", svg)
    drawn = ["0"] * 200
    for x, width in bars:
        drawn[int(x) - codes.QUIET_MODULES:int(x) - codes.QUIET_MODULES + int(width)] = \
            ["1"] * int(width)
    modules = codes.code128_modules("100000000000000000")
    assert "".join(drawn[:len(modules)]) == modules
    assert 'viewBox="0 0 154 ' in svg  # 134 modules and a quiet zone of 10 on each side
