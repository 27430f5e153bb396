"""`huiquan integrity scan` and the worker's tick run the scan; a failing scan is one failed
step of tick, the other steps still run (issue 12's isolation)."""

from __future__ import annotations

import pytest

from huiquan.cli import main as cli
from huiquan.integrity import detectors
from huiquan.integrity.models import Signal, SignalKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def burst(make_merchant, catalog, sell):  # type: ignore[no-untyped-def]
    shop = make_merchant()
    for minute in range(5):
        sell(shop, at=f"2024-06-21T11:0{minute}:00+08:00")
    return shop


def test_the_command_scans_and_says_what_it_found(burst, capsys):
    assert cli(["integrity", "scan", "xixian-2024-home"]) == 0
    assert "诚信信号新增 1 条" in capsys.readouterr().out
    assert cli(["integrity", "scan"]) == 0
    assert "新增 0 条，更新 0 条，未变 1 条" in capsys.readouterr().out
    assert Signal.objects.get().kind == SignalKind.BURST


def test_the_command_refuses_an_unknown_campaign(campaign, capsys):
    assert cli(["integrity", "scan", "no-such"]) == 2
    assert "没有这个活动：no-such" in capsys.readouterr().err


def test_tick_scans_and_a_failing_detector_fails_only_its_step(burst, capsys, monkeypatch):
    assert cli(["tick"]) == 0
    assert "诚信信号新增 1 条" in capsys.readouterr().out
    assert Signal.objects.count() == 1

    def broken(campaign):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setitem(detectors.DETECTORS, "bursts", broken)
    assert cli(["tick"]) == 1
    out, err = capsys.readouterr()
    assert "诚信信号扫描失败" in err and "bursts 失败：boom" in err
    assert "审计链检查点" in out  # the steps after it still ran
