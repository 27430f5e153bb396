"""Finance's settlement pages: start a run, approve it (another officer), the bank file in xlsx
and CSV, the bank's answer, the receivables; refusals are shown, never a 500 (issue 14)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from huiquan.audit.models import AuditEntry
from huiquan.redemptions.returns import return_goods
from huiquan.settlement.models import PayoutState, Receivable, RunState, SettlementRun
from tests.settlement.support import answer, settle_fully

pytestmark = pytest.mark.django_db


def _page(client, user, url, **post):  # type: ignore[no-untyped-def]
    client.force_login(user)
    if post:
        return client.post(url, post, follow=True)
    return client.get(url)


def test_finance_settles_a_round_from_the_pages(  # type: ignore[no-untyped-def]
        client, campaign, two_shops, approved_sale, finance, finance2):
    a, b = two_shops
    approved_sale(a)
    approved_sale(b)
    page = _page(client, finance, "/office/settlement/", note="第 1 周")
    assert "已汇总：2 户 2 笔" in page.content.decode()
    run = SettlementRun.objects.get()
    url = f"/office/settlement/{run.pk}/"
    refused = _page(client, finance, url, action="approve")
    assert "须由另一位财务人员审核" in refused.content.decode()
    _page(client, finance2, url, action="approve")
    _page(client, finance2, url, action="export")
    run.refresh_from_db()
    assert run.state == RunState.EXPORTED
    xlsx = _page(client, finance, f"{url}file-1.xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("付款编号", "结算批次", "文件序号", "商户名称")
    assert {r[3] for r in rows[1:-1]} == {a.legal_name, b.legal_name}
    csv = _page(client, finance, f"{url}file-1.csv")
    assert csv.content.startswith("\ufeff付款编号".encode())
    bank_file = run.files.get()
    edited = answer(bank_file, edit=lambda rows: rows[1].__setitem__(8, "1.00"))
    page = _page(client, finance, url, action="answer",
                 answer=SimpleUploadedFile("answer.csv", edited))
    assert "银行回单与所发文件不符" in page.content.decode()
    page = _page(client, finance, url, action="answer",
                 answer=SimpleUploadedFile("answer.csv", answer(bank_file)))
    assert "到账 2 户" in page.content.decode()
    run.refresh_from_db()
    assert run.state == RunState.PAID
    assert set(run.payouts.values_list("state", flat=True)) == {PayoutState.PAID}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"settlement.run", "settlement.approve", "settlement.export",
            "settlement.answer"} <= actions
    assert _page(client, finance, "/office/settlement/").status_code == 200


def test_the_auditor_reads_but_cannot_act_and_others_cannot_download(  # type: ignore[no-untyped-def]
        client, campaign, shop, approved_sale, finance, finance2, auditor, reviewer):
    approved_sale(shop)
    run = settle_fully(campaign, finance, finance2)
    url = f"/office/settlement/{run.pk}/"
    page = _page(client, auditor, url)
    assert page.status_code == 200 and "导入银行回单" not in page.content.decode()
    assert _page(client, auditor, "/office/settlement/", note="x").status_code == 403
    assert _page(client, reviewer, f"{url}file-1.xlsx").status_code == 404
    assert _page(client, finance, f"{url}file-9.xlsx").status_code == 404
    assert _page(client, finance, "/office/settlement/999999/").status_code == 404


def test_receivables_are_listed_and_a_repayment_is_recorded(  # type: ignore[no-untyped-def]
        client, campaign, shop, approved_sale, finance, finance2, clock):
    sale = approved_sale(shop)
    settle_fully(campaign, finance, finance2)
    return_goods(actor=shop.till_user, redemption_id=sale.pk, items=None, reason="退货")
    url = "/office/settlement/receivables/"
    page = _page(client, finance, url, action="refresh")
    assert "新登记追缴 1 笔" in page.content.decode()
    receivable = Receivable.objects.get()
    clock.advance(days=31)
    assert "逾期商户 1 户" in _page(client, finance, "/office/settlement/").content.decode()
    assert "逾期" in _page(client, finance, url).content.decode()
    page = _page(client, finance, url, receivable=str(receivable.pk), amount="abc",
                 reference="T1")
    assert "金额只能是数字" in page.content.decode()
    page = _page(client, finance, url, receivable=str(receivable.pk), amount="50",
                 reference="HX1")
    assert "还款 50.00 元" in page.content.decode()
    receivable.refresh_from_db()
    assert receivable.recovered_fen == 5000


def test_a_run_is_cancelled_from_its_page_with_a_reason(  # type: ignore[no-untyped-def]
        client, campaign, shop, approved_sale, finance):
    approved_sale(shop)
    page = _page(client, finance, "/office/settlement/", note="")
    run = SettlementRun.objects.get()
    url = f"/office/settlement/{run.pk}/"
    page = _page(client, finance, url, action="cancel", reason="")
    assert "请填写撤销原因" in page.content.decode()
    page = _page(client, finance, url, action="cancel", reason="账号有误")
    assert "已撤销" in page.content.decode()
    run.refresh_from_db()
    assert run.state == RunState.CANCELLED
    assert _page(client, finance, url, action="nonsense").status_code == 422
