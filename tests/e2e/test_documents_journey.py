"""A shop sends the seven items of R-DOC-1 for a sale from a phone-sized screen (390 px); the
automatic checks run (the worker's task, at once here); a reviewer sees the sale, the documents
and the checks side by side in /office/ and approves (R-DOC-2). Screenshots:
docs/img/submission-390.png and docs/img/review.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from huiquan.core import clock as clock_module
from huiquan.core.money import format_yuan
from huiquan.verification.models import Submission, SubmissionState
from tests.merchant_fixtures import aircon, redeem_at
from tests.verification.factories import invoice_photo, label_photo, photo

pytestmark = pytest.mark.django_db(transaction=True)
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture(autouse=True)
def _documents_and_tasks(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "documents")}}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default"]}}


def _signed_in(browser: Any, base: str, user: Any, width: int, height: int) -> Any:
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height},
                                  device_scale_factor=1)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": base}])
    page = context.new_page()
    page.set_default_timeout(45_000)
    return page


def _file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_merchant_sends_the_seven_items_from_a_phone_and_a_reviewer_approves(
        browser, live_server, tmp_path, shop, holder, reviewer, axe):
    person = holder()
    sale = redeem_at(shop, person.voucher, [aircon(500_000)])
    sale.refresh_from_db()
    issued = clock_module.local(sale.created_at).date().isoformat()
    amount = format_yuan(sale.total_final_fen).replace(",", "")
    number = "24142000000012345678"
    base = live_server.url

    page = _signed_in(browser, base, shop.till_user, 390, 844)
    try:
        page.goto(f"{base}/merchant/documents/")
        assert "还剩" in page.inner_text(f"#sale-{sale.pk}")
        assert axe(page) == []
        page.click(f"#sale-{sale.pk} button:has-text('开始报备')")
        assert page.input_value("input[name=phone]") == person.consumer.phone  # pre-filled
        page.fill("input[name=invoice_number]", number)
        page.fill("input[name=invoice_date]", issued)
        page.fill("input[name=invoice_buyer_name]", person.consumer.real_name)
        page.fill("input[name=invoice_amount]", amount)
        page.fill("input[name=payment_amount]", amount)
        page.fill("input[name=energy_label_gtin]", "6900000000014")
        page.click("button:has-text('保存草稿')")
        assert "已保存" in page.inner_text(".messages")
        uploads = {
            "id_card": _file(tmp_path, "id.jpg", photo(901)),
            "invoice": _file(tmp_path, "invoice.png", invoice_photo(
                number=number, issued=issued, amount_yuan=amount, seed=902)),
            "payment_proof": _file(tmp_path, "paid.jpg", photo(903)),
            "goods_photo": _file(tmp_path, "goods.jpg", photo(904)),
            "energy_label": _file(tmp_path, "label.png", label_photo("6900000000014", 905)),
            "confirmation": _file(tmp_path, "signed.jpg", photo(906)),
        }
        for kind, path in uploads.items():
            page.set_input_files(f"#file-{kind}", path)
            page.click(f"#slot-{kind} button[type=submit]:has-text('上传')")
            assert "已上传" in page.inner_text(".messages"), kind
        # A script named .jpg is refused with a clear message and nothing else changes.
        page.set_input_files("#file-goods_photo", _file(tmp_path, "evil.jpg", b"<?php system($_GET['c']);"))
        page.click("#slot-goods_photo button[type=submit]:has-text('上传')")
        assert "文件内容不是有效的照片" in page.inner_text("#slot-goods_photo")
        page.goto(f"{base}/merchant/documents/{Submission.objects.get(redemption=sale).pk}/")
        assert page.locator("#missing").count() == 0  # all seven items are there
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(IMG / "submission-390.png"), full_page=True)
        assert axe(page) == []  # WCAG 2.1 AA: no serious or critical violation
        page.click("button:has-text('提交审核')")
        assert page.inner_text("#state") in {"待审核", "自动核验中"}
    finally:
        page.context.close()

    submission = Submission.objects.get(redemption=sale)
    assert submission.state == SubmissionState.IN_REVIEW
    assert set(submission.checks.values_list("outcome", flat=True)) == {"pass"}

    office = _signed_in(browser, base, reviewer, 1280, 900)
    try:
        office.goto(f"{base}/office/review/")
        office.click(f"a:has-text('#{submission.pk}（')")
        assert office.locator("#checks tr.bad-row").count() == 0
        assert office.locator("img.licence").count() == 6  # every image, through the protected view
        office.wait_for_function(
            "Array.from(document.querySelectorAll('img.licence')).every(i => i.naturalWidth > 0)")
        office.screenshot(path=str(IMG / "review.png"), full_page=True)
        assert axe(office) == []
        office.click("#approve")
        assert office.inner_text("#state") == "审核通过"
    finally:
        office.context.close()
    submission.refresh_from_db()
    assert submission.state == SubmissionState.APPROVED
