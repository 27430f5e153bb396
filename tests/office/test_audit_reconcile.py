"""The audit viewer (invariant 9) and the reconciliation page (invariant 3)."""

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.campaigns.services import receive_funds

pytestmark = pytest.mark.django_db


def test_audit_page_filters_by_action_and_reports_an_intact_chain(client, campaign, bureau):
    client.force_login(bureau)
    html = client.get("/office/audit/", {"action": "funds.receive"}).content.decode()
    assert "审计链完整" in html
    assert "县级财政 资金到位 240,000.00 元" in html
    assert "载入活动文件 xixian-2024-home.toml" not in html
    assert "<details>" in html and "修改后" in html


def test_audit_page_filters_by_actor_object_and_dates(client, campaign, finance, city, clock):
    clock.set("2024-06-18T09:00:00+08:00")
    receive_funds(source=city, amount_fen=100_00, reference="R-1", actor=finance)
    client.force_login(finance)

    def rows(**query: str) -> str:
        return client.get("/office/audit/", query).content.decode().split("<tbody>")[1]

    assert "市级财政补贴 资金到位 100.00 元" in rows(actor="finance")
    assert "县级财政" not in rows(actor="finance")
    assert "市级财政补贴" in rows(object_type="funding_source")
    assert "载入活动文件" in rows(object_type="campaign")
    assert "市级财政补贴" in rows(day_from="2024-06-18", day_to="2024-06-18")
    assert "没有符合条件的记录" in rows(day_from="2024-06-19")


def test_bad_audit_filters_are_explained_not_crashed(client, campaign, bureau):
    client.force_login(bureau)
    response = client.get("/office/audit/", {"day_from": "2024-13-40", "action": "no.such",
                                             "page": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "请输入有效的日期" in html and "选择一个有效的选项" in html
    response = client.get("/office/audit/", {"day_from": "2024-06-20", "day_to": "2024-06-01"})
    assert "结束日期不能早于开始日期" in response.content.decode()


def test_audit_page_shows_50_entries_a_page(client, campaign, finance, city):
    for n in range(60):
        receive_funds(source=city, amount_fen=100, reference=f"R-{n}", actor=finance)
    client.force_login(finance)
    first = client.get("/office/audit/").content.decode()
    assert first.count("<details>") == 50 and "第 1 / 2 页" in first
    second = client.get("/office/audit/", {"page": "2"}).content.decode()
    assert "第 2 / 2 页" in second and second.count("<details>") == AuditEntry.objects.count() - 50


def test_a_tampered_entry_is_named_in_red(client, campaign, auditor):
    AuditEntry.objects.filter(seq=2).update(summary="改过的摘要")
    client.force_login(auditor)
    html = client.get("/office/audit/").content.decode()
    assert "banner bad" in html and "审计链异常" in html and "第 2 条" in html


def test_reconcile_page_lists_every_check(client, campaign, auditor):
    client.force_login(auditor)
    html = client.get("/office/reconcile/").content.decode()
    assert "对账通过" in html
    assert "每笔交易借贷平衡" in html and "资金来源 = 去向 + 余额" in html
    assert html.count("通过</span>") >= 7
