"""A resident on a phone: sign up, real name, location, claim, payment code — and someone in
Beijing who is turned away, told where the phone was and what to try (R-CLAIM-1, R-CLAIM-2,
R-CON-2, R-USE-1)."""

import re

import pytest

from huiquan.vouchers.models import Voucher
from tests.e2e.resident import phone_context, sign_up

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_resident_in_linfen_claims_and_sees_the_payment_code(browser, live_server,
                                                               open_release):
    context, page = phone_context(browser)
    try:
        sign_up(page, live_server.url, "13812345678", 1)
        assert "正在发放" in page.inner_text("#release")
        page.click("button:has-text('立即领取')")
        page.wait_for_selector("#paycode .qr svg")
        code = page.inner_text("#paycode .code")
        assert re.fullmatch(r"[1-9]\d{17}", code.replace(" ", ""))
        assert page.locator("#paycode .barcode svg path").count() == 1  # Code 128 for lasers
        assert "有效期至 6月26日（周三）22:00" in page.inner_text("#my-voucher")
        assert Voucher.objects.count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # fits the phone
    finally:
        context.close()


def test_someone_in_beijing_is_told_where_and_what_to_try(browser, live_server, open_release):
    context, page = phone_context(browser, {"latitude": 39.9087, "longitude": 116.3975})
    try:
        sign_up(page, live_server.url, "13912345678", 2)
        page.click("button:has-text('立即领取')")
        page.wait_for_selector("[data-code=OUTSIDE_GEOFENCE]")
        refusal = page.inner_text("[data-code=OUTSIDE_GEOFENCE]")
        assert "定位在临汾市范围外" in refusal
        assert "北纬 39.909°" in refusal and "东经 116.397°" in refusal  # where the phone was
        assert re.search(r"离临汾市边界约 \d+ 公里", refusal)
        assert "精确位置" in refusal and "VPN" in refusal  # what to try
        assert page.locator("#paycode").count() == 0
        assert Voucher.objects.count() == 0
    finally:
        context.close()
