"""The merchant pages of the back office: the review queue, one merchant's file and its actions,
the licence photo, the dishonesty list (R-MER-1..5, R-INT-1)."""

import pytest

from huiquan.core.roles import Role
from huiquan.merchants.models import IntegrityCase, MerchantState, Training
from tests.office.support import audit_count, field_html

pytestmark = pytest.mark.django_db


def _state(merchant) -> str:  # type: ignore[no-untyped-def]
    merchant.refresh_from_db()
    return merchant.state


def _blacklist_csv(*rows: tuple[str, str]) -> bytes:
    lines = ["统一社会信用代码,名称,来源,列入日期"]
    lines += [f"{uscc},{name},信用中国（山西临汾）,2024-06-01" for uscc, name in rows]
    return ("\n".join(lines) + "\n").encode()


def _upload(name: str, data: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- the queue ---------------------------------------------------------------------------------

def test_reviewer_sees_the_submitted_application_in_the_queue(client, reviewer, make_merchant):
    waiting = make_merchant(approved=False, trained=False)
    done = make_merchant()
    client.force_login(reviewer)
    response = client.get("/office/merchants/")
    assert response.status_code == 200
    html = response.content.decode()
    queue = html.split('id="queue"')[1].split('id="all"')[0]
    assert waiting.legal_name in queue and done.legal_name not in queue
    assert "待审核（1）" in queue and "审核 →" in queue
    everyone = html.split('id="all"')[1]
    assert done.legal_name in everyone and "已通过" in everyone
    assert 'href="/office/merchants/"' in html  # the nav link, marked as the current page


def test_the_merchant_page_shows_the_application_and_its_checks(client, reviewer, make_merchant):
    merchant = make_merchant(approved=False, trained=False)
    client.force_login(reviewer)
    html = client.get(f"/office/merchants/{merchant.pk}/").content.decode()
    assert merchant.uscc in html and "隰县新建路 1 号" in html and "家电类、家居类" in html
    assert "6217000012345678" in html  # the reviewer sees the full account
    for label in ("统一社会信用代码", "经营地点", "失信名单", "经营类别"):
        assert label in html
    assert "未在失信名单中" in html and 'class="pill ok">通过' in html
    assert f'src="/office/merchants/{merchant.pk}/licence"' in html
    assert 'name="approve-note"' in html and 'name="reject-reason"' in html


def test_others_see_the_bank_account_masked(client, bureau, make_merchant):
    merchant = make_merchant()
    client.force_login(bureau)
    html = client.get(f"/office/merchants/{merchant.pk}/").content.decode()
    assert "6217****5678" in html and "6217000012345678" not in html
    assert 'name="approve-note"' not in html  # bureau does not review
    assert 'name="training-trainee_name"' in html and 'name="suspend-reason"' in html


def test_an_unknown_merchant_is_a_chinese_404(client, campaign, reviewer):
    client.force_login(reviewer)
    response = client.get("/office/merchants/999999/")
    assert response.status_code == 404 and "没有这个商户" in response.content.decode()


# --- review actions ----------------------------------------------------------------------------

def test_reviewer_approves_a_submitted_merchant(client, reviewer, make_merchant):
    merchant = make_merchant(approved=False, trained=False)
    client.force_login(reviewer)
    url = f"/office/merchants/{merchant.pk}/"
    response = client.post(url, {"action": "approve", "approve-note": "资料齐全"})
    assert response.status_code == 302 and response["Location"] == url
    assert _state(merchant) == MerchantState.APPROVED
    assert merchant.decision_reason == "资料齐全" and merchant.decided_by == reviewer
    html = client.get(url).content.decode()
    assert "审核通过" in html and "还没有培训记录" in html


def test_reject_without_a_reason_is_refused_next_to_the_field(client, reviewer, make_merchant):
    merchant = make_merchant(approved=False, trained=False)
    client.force_login(reviewer)
    before = audit_count()
    response = client.post(f"/office/merchants/{merchant.pk}/",
                           {"action": "reject", "reject-reason": "  "})
    assert response.status_code == 422
    assert "驳回必须写明原因" in field_html(response.content.decode(), "reject-reason")
    assert _state(merchant) == MerchantState.SUBMITTED
    assert audit_count() == before


def test_reject_with_a_reason_tells_the_merchant_why(client, reviewer, make_merchant):
    merchant = make_merchant(approved=False, trained=False)
    client.force_login(reviewer)
    client.post(f"/office/merchants/{merchant.pk}/",
                {"action": "reject", "reject-reason": "营业执照照片模糊"})
    assert _state(merchant) == MerchantState.REJECTED
    assert "营业执照照片模糊" in client.get(f"/office/merchants/{merchant.pk}/").content.decode()


def test_auditor_cannot_approve(client, auditor, make_merchant):
    merchant = make_merchant(approved=False, trained=False)
    client.force_login(auditor)
    html = client.get(f"/office/merchants/{merchant.pk}/").content.decode()
    assert 'name="approve-note"' not in html
    response = client.post(f"/office/merchants/{merchant.pk}/", {"action": "approve"})
    assert response.status_code == 403
    assert _state(merchant) == MerchantState.SUBMITTED


def test_bureau_posting_approve_gets_a_chinese_403(client, bureau, make_merchant):
    merchant = make_merchant(approved=False, trained=False)
    client.force_login(bureau)
    response = client.post(f"/office/merchants/{merchant.pk}/", {"action": "approve"})
    assert response.status_code == 403 and "没有权限执行「审核通过」" in response.content.decode()
    assert _state(merchant) == MerchantState.SUBMITTED


def test_approving_twice_shows_the_state_conflict_not_a_crash(client, reviewer, make_merchant):
    merchant = make_merchant()
    client.force_login(reviewer)
    response = client.post(f"/office/merchants/{merchant.pk}/", {"action": "approve"})
    assert response.status_code == 409
    assert "只能审核「待审核」的申请" in response.content.decode()


def test_an_unknown_action_is_refused_with_a_chinese_page(client, reviewer, make_merchant):
    merchant = make_merchant()
    client.force_login(reviewer)
    response = client.post(f"/office/merchants/{merchant.pk}/", {"action": "delete"})
    assert response.status_code == 422 and "未知的操作" in response.content.decode()


def test_bureau_records_a_training(client, bureau, make_merchant):
    merchant = make_merchant(trained=False)
    client.force_login(bureau)
    response = client.post(f"/office/merchants/{merchant.pk}/", {
        "action": "training", "training-trainee_name": "李收银", "training-mode": "online",
        "training-trained_at": "2024-06-14T15:30"})
    assert response.status_code == 302
    training = Training.objects.get(merchant=merchant)
    assert training.trainee_name == "李收银" and training.mode == "online"
    assert training.trained_at.isoformat() == "2024-06-14T07:30:00+00:00"  # 15:30 Beijing


def test_a_training_in_the_future_is_refused_next_to_the_time(client, bureau, make_merchant):
    merchant = make_merchant(trained=False)
    client.force_login(bureau)
    response = client.post(f"/office/merchants/{merchant.pk}/", {
        "action": "training", "training-trainee_name": "李收银", "training-mode": "offline",
        "training-trained_at": "2024-07-01T10:00"})
    assert response.status_code == 422
    assert "培训时间不能晚于现在" in field_html(response.content.decode(), "training-trained_at")
    assert not Training.objects.filter(merchant=merchant).exists()


def test_market_suspends_reinstates_and_disqualifies(client, make_user, make_merchant):
    merchant = make_merchant()
    client.force_login(make_user(Role.MARKET))
    url = f"/office/merchants/{merchant.pk}/"
    assert client.post(url, {"action": "suspend", "suspend-reason": "群众举报"}).status_code == 302
    assert _state(merchant) == MerchantState.SUSPENDED
    html = client.get(url).content.decode()
    assert "群众举报" in html and 'name="reinstate-reason"' in html
    assert client.post(url, {"action": "reinstate", "reinstate-reason": "核查无误"}).status_code == 302
    assert _state(merchant) == MerchantState.APPROVED
    client.post(url, {"action": "disqualify", "disqualify-reason": "虚假交易"})
    assert _state(merchant) == MerchantState.DISQUALIFIED
    assert IntegrityCase.objects.filter(merchant=merchant, reason="虚假交易").exists()
    html = client.get(url).content.decode()
    assert "虚假交易" in html and 'name="disqualify-reason"' not in html


# --- the licence -------------------------------------------------------------------------------

def test_the_licence_is_shown_to_a_reviewer(client, reviewer, make_merchant):
    merchant = make_merchant(approved=False, trained=False)
    client.force_login(reviewer)
    response = client.get(f"/office/merchants/{merchant.pk}/licence")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


@pytest.mark.parametrize("who", ["anonymous", Role.MERCHANT, Role.FINANCE, Role.CONSUMER])
def test_the_licence_is_a_404_for_everyone_else(client, make_user, make_merchant, who):
    merchant = make_merchant()
    if who != "anonymous":
        client.force_login(merchant.till_user if who == Role.MERCHANT else make_user(who))
    response = client.get(f"/office/merchants/{merchant.pk}/licence")
    assert response.status_code == 404
    assert b"PNG" not in response.content


# --- the dishonesty list -----------------------------------------------------------------------

def test_a_blacklist_naming_an_approved_merchant_suspends_it(client, make_user, make_merchant):
    merchant = make_merchant()
    client.force_login(make_user(Role.MARKET))
    data = _blacklist_csv((merchant.uscc, merchant.legal_name), ("不是代码", "某公司"))
    response = client.post("/office/blacklist/", {"file": _upload("名单.csv", data)},
                           follow=True)
    assert response.redirect_chain == [("/office/blacklist/", 302)]
    assert _state(merchant) == MerchantState.SUSPENDED
    html = response.content.decode()
    hits = html.split("命中的商户")[1].split("</table>")[0]
    assert merchant.legal_name in hits and "已暂停" in hits
    assert "第 3 行" in html and "统一社会信用代码应为 18 位" in html  # the rejected row
    assert "新增</dt><dd>1 条" in html
    assert IntegrityCase.objects.filter(merchant=merchant, closed_at=None).exists()
    # The report is shown once; the list and the open case stay.
    again = client.get("/office/blacklist/").content.decode()
    assert "导入结果" not in again and merchant.uscc in again and "命中失信名单" in again


def test_garbage_named_xlsx_is_a_chinese_error_on_the_form(client, bureau, make_merchant):
    merchant = make_merchant()
    client.force_login(bureau)
    response = client.post("/office/blacklist/",
                           {"file": _upload("x.xlsx", b"\x00\x01garbage\xff" * 50)})
    assert response.status_code == 422
    assert "内容不是 xlsx 表格" in field_html(response.content.decode(), "file")
    assert _state(merchant) == MerchantState.APPROVED


def test_a_file_without_the_needed_columns_names_them(client, reviewer, campaign):
    client.force_login(reviewer)
    response = client.post("/office/blacklist/",
                           {"file": _upload("a.csv", "名称\n某公司\n".encode())})
    assert response.status_code == 422
    assert "表头缺少列：统一社会信用代码、列入日期" in response.content.decode()


def test_an_empty_upload_form_is_refused_in_chinese(client, reviewer, campaign):
    client.force_login(reviewer)
    response = client.post("/office/blacklist/", {})
    assert response.status_code == 400
    assert "这个字段是必填项" in field_html(response.content.decode(), "file")


def test_the_auditor_reads_the_list_but_cannot_import(client, auditor, campaign):
    client.force_login(auditor)
    html = client.get("/office/blacklist/").content.decode()
    assert "您的角色只能查看" in html and 'name="file"' not in html
    response = client.post("/office/blacklist/", {"file": _upload("a.csv", _blacklist_csv())})
    assert response.status_code == 403


def test_finance_may_not_import(client, finance, campaign):
    client.force_login(finance)
    response = client.post("/office/blacklist/", {"file": _upload("a.csv", _blacklist_csv())})
    assert response.status_code == 403 and "导入失信名单" in response.content.decode()


@pytest.mark.parametrize("role, shown", [(Role.REVIEWER, True), (Role.MARKET, True),
                                         (Role.AUDITOR, True), (Role.FINANCE, False)])
def test_the_nav_links_the_merchant_pages_for_the_roles_that_use_them(client, campaign,
                                                                      make_user, role, shown):
    client.force_login(make_user(role))
    html = client.get("/office/").content.decode()
    assert ('href="/office/merchants/"' in html) is shown
    assert ('href="/office/blacklist/"' in html) is shown
    for url in ("/office/merchants/", "/office/blacklist/"):
        assert client.get(url).status_code == 200  # every staff role may still read them
