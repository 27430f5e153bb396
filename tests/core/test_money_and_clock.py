"""Invariants 1 and 2: money is integer fen; time comes from one clock."""

from datetime import timedelta

import pytest

from huiquan.cli import main as cli
from huiquan.core import clock
from huiquan.core.money import MoneyFormatError, format_yuan, parse_yuan


@pytest.mark.parametrize("text, fen", [("300000", 30_000_000), ("1,234.50", 123_450),
                                       ("0.01", 1), (" 12元 ", 1_200), (7, 700)])
def test_yuan_typed_by_people_becomes_integer_fen(text, fen):
    value = parse_yuan(text)
    assert value == fen and type(value) is int


@pytest.mark.parametrize("text", ["-5", "abc", "1.234", "1e5", "", "0", "NaN", "1..2", "１２",
                                  "99999999999999999"])
def test_anything_else_is_refused_with_a_chinese_message(text):
    with pytest.raises(MoneyFormatError) as refused:
        parse_yuan(text)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(refused.value))


def test_fen_are_shown_as_yuan_only_at_the_edge():
    assert format_yuan(30_000_000) == "300,000.00"
    assert format_yuan(-5) == "-0.05"
    assert format_yuan(123_450, symbol=True) == "¥1,234.50"


def test_the_test_clock_is_shanghai_time_and_moves_only_when_told():
    clock.freeze(clock.parse_instant("2024-06-21T09:59:59"))
    assert clock.now().utcoffset() == timedelta(hours=8)
    assert clock.now() == clock.now()
    assert clock.advance(timedelta(seconds=1)).strftime("%H:%M:%S") == "10:00:00"


def test_the_demo_clock_starts_where_asked_and_runs_forward(monkeypatch, tmp_path):
    clock.unfreeze()
    monkeypatch.setenv("HUIQUAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HUIQUAN_CLOCK_START", "2024-06-21T09:59:00+08:00")
    monkeypatch.setenv("HUIQUAN_CLOCK_ANCHOR", "1000.0")
    monkeypatch.setattr(clock.time, "time", lambda: 1060.0)
    assert clock.now() == clock.parse_instant("2024-06-21T10:00:00+08:00")
    assert clock.is_demo_clock()


def test_the_demo_clock_is_refused_in_production(monkeypatch, tmp_path):
    clock.unfreeze()
    monkeypatch.setenv("HUIQUAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HUIQUAN_MODE", "production")
    monkeypatch.setenv("HUIQUAN_CLOCK_START", "2024-06-21T09:59:00+08:00")
    with pytest.raises(clock.ClockRefused):
        clock.now()
    monkeypatch.delenv("HUIQUAN_CLOCK_START")
    assert cli(["serve", "--clock", "2024-06-21T09:59:00+08:00"]) == 2
