"""`huiquan settlement …` and `huiquan closeout`: finance's steps from the command line."""

from __future__ import annotations

import pytest

from huiquan.campaigns.services import perform_due_transitions
from huiquan.cli import main as cli
from huiquan.redemptions.returns import return_goods
from huiquan.settlement.models import Receivable, RunState, SettlementRun
from tests.settlement.support import answer

pytestmark = pytest.mark.django_db


def test_a_round_from_the_command_line_then_close_out(  # type: ignore[no-untyped-def]
        campaign, shop, approved_sale, finance, finance2, tmp_path, capsys, clock):
    sale = approved_sale(shop)
    as_one, as_two = ["--as", finance.username], ["--as", finance2.username]
    assert cli(["settlement", "run", *as_one, "--note", "第 1 周"]) == 0
    assert "结算第 1 批" in capsys.readouterr().out
    assert cli(["settlement", "run", *as_two]) == 2
    assert "另一个结算批次正在进行" in capsys.readouterr().err
    assert cli(["settlement", "approve", "1", *as_one]) == 2
    assert "SETTLEMENT_SAME_USER" in capsys.readouterr().err
    assert cli(["settlement", "approve", "1", *as_two]) == 0
    assert cli(["settlement", "export", "1", *as_two, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "settlement-" in out and ".xlsx" in out and ".csv" in out
    run = SettlementRun.objects.get()
    reply = tmp_path / "answer.csv"
    reply.write_bytes(answer(run.files.get(), edit=lambda rows: rows[1].__setitem__(8, "0.01")))
    assert cli(["settlement", "import-answer", "1", str(reply), *as_two]) == 2
    assert "金额" in capsys.readouterr().err
    reply.write_bytes(answer(run.files.get()))
    assert cli(["settlement", "import-answer", "1", str(reply), *as_two]) == 0
    run.refresh_from_db()
    assert run.state == RunState.PAID
    return_goods(actor=shop.till_user, redemption_id=sale.pk, items=None, reason="退货")
    assert cli(["tick"]) == 0
    capsys.readouterr()
    assert cli(["settlement", "list"]) == 0
    assert "未收回 500.00 元" in capsys.readouterr().out
    receivable = Receivable.objects.get()
    assert cli(["settlement", "repay", str(receivable.pk), "500", "HX-1", *as_one]) == 0
    assert cli(["settlement", "approve", "9", *as_two]) == 2
    assert "找不到结算第 9 批" in capsys.readouterr().err
    assert cli(["closeout", *as_one]) == 2
    assert "活动尚不能清算" in capsys.readouterr().err
    clock.set("2024-08-02T09:00:00+08:00")
    perform_due_transitions(campaign=campaign)
    assert cli(["closeout", *as_one]) == 0
    out = capsys.readouterr().out
    assert "县级财政" in out and "对账通过" in out and "清算报告与账本一致" in out
