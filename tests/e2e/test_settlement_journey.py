"""Finance settles a round in a real browser: one officer starts the run, another approves it,
downloads the bank file (xlsx, opened with openpyxl) and imports the bank's answer (issue 14).
The run's page is photographed for docs/img/settlement-run.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from huiquan.settlement.models import RunState, SettlementRun
from tests.settlement.support import answer

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-test-pass-1"
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _login(page, base, username):  # type: ignore[no-untyped-def]
    page.goto(f"{base}/office/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav.main")


def test_finance_runs_approves_downloads_and_records_the_bank_answer(  # type: ignore[no-untyped-def]
        page, live_server, campaign, two_shops, approved_sale, finance, finance2, tmp_path):
    a, b = two_shops
    approved_sale(a)
    approved_sale(a, 800_000)
    approved_sale(b, 1_200_000)
    base = live_server.url

    _login(page, base, finance.username)
    page.click("nav.main >> text=结算")
    page.fill("input[name=note]", "第 1 周")
    page.click("button:has-text('发起结算')")
    assert "已汇总：2 户 3 笔" in page.inner_text(".messages")
    page.click("table >> text=第 1 批")
    page.wait_for_selector("h1:has-text('结算第 1 批')")
    assert "须由另一位财务人员审核" in page.inner_text("main")
    page.click("header .who button")

    _login(page, base, finance2.username)
    page.goto(f"{base}/office/settlement/")
    page.click("table >> text=第 1 批")
    page.wait_for_selector("h1:has-text('结算第 1 批')")
    page.click("button:has-text('审核通过')")
    page.click("button:has-text('生成银行文件')")
    assert "已生成银行文件 1" in page.inner_text(".messages")
    with page.expect_download() as info:
        page.click("a:has-text('xlsx')")
    path = tmp_path / "bank.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[-1][0] == "校验码"
    assert {r[3] for r in rows[1:-1]} == {a.legal_name, b.legal_name}
    run = SettlementRun.objects.get()
    answered = tmp_path / "answer.csv"
    answered.write_bytes(answer(run.files.get()))
    page.set_input_files("input[name=answer]", str(answered))
    page.click("button:has-text('导入银行回单')")
    assert "到账 2 户" in page.inner_text(".messages")
    run.refresh_from_db()
    assert run.state == RunState.PAID
    page.evaluate("document.querySelector('.messages')?.remove()")
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / "settlement-run.png"), full_page=True)
