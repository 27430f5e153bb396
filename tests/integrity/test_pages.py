"""Market supervision's office pages (R-INT-1..2, R-ROLE-1): who sees them, the filters, a
case from a signal through notes and an evidence image to a decision, and bad input."""

from __future__ import annotations

import pytest

from huiquan.core.roles import Role
from huiquan.integrity import services
from huiquan.integrity.models import Case, CaseEntry, Signal
from huiquan.merchants.models import Merchant, MerchantState
from tests.integrity.test_cases import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(campaign, make_merchant, catalog, sell):  # type: ignore[no-untyped-def]
    """Two shops: a burst at one, sales at night at the other."""
    burst, night = make_merchant(), make_merchant()
    for minute in range(5):
        sell(burst, at=f"2024-06-21T11:0{minute}:00+08:00")
    sell(night, at="2024-06-21T23:10:00+08:00")
    sell(night, at="2024-06-22T05:40:00+08:00")
    services.scan(campaign=campaign)
    return burst, night


def test_market_supervision_filters_the_signals(client, market, world):
    burst, night = world
    client.force_login(market)
    html = client.get("/office/integrity/").content.decode()
    assert "诚信信号" in html and "短时间内集中核销" in html and "营业时间外核销" in html
    assert 'href="/office/integrity/"' in client.get("/office/").content.decode()  # the nav
    only = client.get("/office/integrity/", {"kind": "off_hours"}).content.decode()
    assert night.legal_name in only and "短时间内集中核销</td>" not in only
    by_shop = client.get("/office/integrity/", {"merchant": burst.pk}).content.decode()
    assert "5 笔" in by_shop and "营业时间外核销</td>" not in by_shop
    none = client.get("/office/integrity/", {"severity": "high"}).content.decode()
    assert "没有符合条件的信号" in none
    # A forged filter value is just not a filter: the form says so, no 500.
    assert client.get("/office/integrity/", {"merchant": "x' OR 1=1"}).status_code == 200


def test_a_case_from_a_signal_to_a_disqualification(client, market, world):
    burst, _ = world
    client.force_login(market)
    signal = Signal.objects.get(kind="burst")
    page = client.get(f"/office/integrity/signals/{signal.pk}/").content.decode()
    assert "判定规则" in page and f"#{signal.evidence['sale_ids'][0]}" in page
    response = client.post(f"/office/integrity/signals/{signal.pk}/", {"title": ""})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/office/integrity/cases/{case.pk}/"
    response = client.post(f"/office/integrity/cases/{case.pk}/", {
        "action": "entry", "entry-text": "现场核查：五笔核销均无实物出库",
        "entry-file": _upload("shop.png", png())})
    assert response.status_code == 302
    entry = CaseEntry.objects.get()
    image = client.get(f"/office/integrity/cases/{case.pk}/files/{entry.pk}")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    refused = client.post(f"/office/integrity/cases/{case.pk}/", {
        "action": "entry", "entry-text": "照片", "entry-file": _upload("a.jpg", b"<?php ?>")})
    assert refused.status_code == 422 and "证据文件不合格" in refused.content.decode()
    response = client.post(f"/office/integrity/cases/{case.pk}/", {
        "action": "decide", "decide-decision": "disqualification", "decide-reason": "虚构交易"})
    assert response.status_code == 302
    assert Merchant.objects.get(pk=burst.pk).state == MerchantState.DISQUALIFIED
    page = client.get(f"/office/integrity/cases/{case.pk}/").content.decode()
    assert "收银台已锁定" in page and "未结算核销 5 笔" in page and "已通过 → 已取消资格" in page
    again = client.post(f"/office/integrity/cases/{case.pk}/", {
        "action": "decide", "decide-decision": "warning", "decide-reason": "改判"})
    assert again.status_code == 409 and "不能再次决定" in again.content.decode()


def test_bad_input_on_the_case_pages(client, market, world):
    client.force_login(market)
    burst, _ = world
    response = client.post("/office/integrity/cases/", {"merchant": burst.pk, "complaint": " "})
    assert response.status_code == 422 and "请填写投诉内容" in response.content.decode()
    response = client.post("/office/integrity/cases/", {"merchant": 999999, "complaint": "x"})
    assert response.status_code == 400  # not a shop of the list
    case = services.open_case(actor=market, campaign=burst.campaign, merchant_id=burst.pk,
                              complaint="投诉")
    url = f"/office/integrity/cases/{case.pk}/"
    no_reason = client.post(url, {"action": "decide", "decide-decision": "warning"})
    assert no_reason.status_code == 422 and "请写明处理理由" in no_reason.content.decode()
    no_authority = client.post(url, {"action": "decide", "decide-decision": "referral",
                                     "decide-reason": "涉嫌诈骗"})
    assert no_authority.status_code == 422 and "移送到哪个部门" in no_authority.content.decode()
    assert client.post(url, {"action": "nonsense"}).status_code == 422
    assert client.get("/office/integrity/cases/999999/").status_code == 404
    assert client.get("/office/integrity/signals/999999/").status_code == 404
    assert client.get(f"/office/integrity/cases/{case.pk}/files/999999").status_code == 404
    assert Case.objects.get(pk=case.pk).state == "open"


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.FINANCE, Role.ADMIN])
def test_other_staff_roles_are_refused(client, make_user, world, role):
    client.force_login(make_user(role, username=f"other-{role}"))
    assert client.get("/office/integrity/").status_code == 403
    assert client.get("/office/integrity/cases/").status_code == 403
    assert 'href="/office/integrity/"' not in client.get("/office/").content.decode()


def test_the_auditor_reads_but_changes_nothing(client, auditor, market, world):
    burst, _ = world
    case = services.open_case(actor=market, campaign=burst.campaign, merchant_id=burst.pk,
                              complaint="投诉")
    entry = services.add_entry(actor=market, campaign=burst.campaign, case_id=case.pk,
                               text="照片", upload=png())
    client.force_login(auditor)
    assert client.get(f"/office/integrity/cases/{case.pk}/").status_code == 200
    assert client.get(f"/office/integrity/cases/{case.pk}/files/{entry.pk}").status_code == 200
    refused = client.post(f"/office/integrity/cases/{case.pk}/", {
        "action": "decide", "decide-decision": "warning", "decide-reason": "x"})
    assert refused.status_code == 403
    assert Case.objects.get(pk=case.pk).state == "open"


def test_an_evidence_file_is_a_404_for_anyone_else(client, make_user, market, world):
    burst, _ = world
    case = services.open_case(actor=market, campaign=burst.campaign, merchant_id=burst.pk,
                              complaint="投诉")
    entry = services.add_entry(actor=market, campaign=burst.campaign, case_id=case.pk,
                               text="照片", upload=png())
    url = f"/office/integrity/cases/{case.pk}/files/{entry.pk}"
    assert client.get(url).status_code == 404  # anonymous
    client.force_login(make_user(Role.REVIEWER, username="another-reviewer"))
    assert client.get(url).status_code == 404


def _upload(name: str, data: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
