"""`huiquan tick` runs every step on its own (issue 12): a step that fails is logged and reported,
and the others still run — sealing, the gate's re-copy and the audit checkpoint above all. A
transition that finds its rows busy (deadlock or lock timeout) is left for the next tick."""

from __future__ import annotations

import logging

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.campaigns import services as campaign_services
from huiquan.campaigns.models import Period
from huiquan.cli import main as cli
from huiquan.core.errors import Busy
from huiquan.vouchers import services as voucher_services
from huiquan.vouchers.models import Voucher
from tests.merchant_fixtures import aircon, redeem_at

pytestmark = pytest.mark.django_db


def test_a_failing_step_does_not_stop_the_others(shop, holder, settings, monkeypatch, capsys,
                                                  caplog):  # type: ignore[no-untyped-def]
    redeem_at(shop, holder().voucher, [aircon()])

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(voucher_services, "seal_claims", broken)
    assert cli(["tick"]) == 1
    err = capsys.readouterr().err
    assert "封存领券记录失败：disk full" in err
    logged = caplog.text  # logged with its traceback
    assert "tick：封存领券记录 失败" in logged and "RuntimeError: disk full" in logged
    assert not Voucher.objects.filter(sealed=True).exists()  # that step did not run
    assert AuditEntry.objects.filter(action="redemptions.seal").exists()  # the next one did
    assert settings.HUIQUAN_AUDIT_CHECKPOINT_FILE.read_text().strip()  # and the checkpoint


def test_a_busy_transition_is_left_for_the_next_tick(open_release, clock, monkeypatch,
                                                     caplog):  # type: ignore[no-untyped-def]
    campaign = open_release.period.campaign
    clock.set("2024-08-01T00:00:00+08:00")  # release 1 returns; period 1 carries over
    real = campaign_services._carry_over
    busy_once = [True]

    def carry_over(period, now):  # type: ignore[no-untyped-def]
        if busy_once and busy_once.pop():
            raise Busy("系统繁忙，请稍后再试")
        return real(period, now)

    monkeypatch.setattr(campaign_services, "_carry_over", carry_over)
    with caplog.at_level(logging.WARNING, logger="huiquan.campaigns.services"):
        first = campaign_services.perform_due_transitions(campaign=campaign)
    assert len(first) == 1 and "到期，退回" in first[0]  # the release's return still happened
    assert "暂时繁忙" in caplog.text
    assert Period.objects.get(number=1).carried_over_at is None
    second = campaign_services.perform_due_transitions(campaign=campaign)
    assert len(second) == 1 and "结转" in second[0]
