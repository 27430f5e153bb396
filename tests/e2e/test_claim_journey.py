"""A resident on a phone: sign up, real name, location, claim, payment code — and someone in
Beijing who is turned away (R-CLAIM-1, R-CLAIM-2, R-CON-2, R-USE-1)."""

import re

import pytest

from huiquan.vouchers.models import Voucher
from tests.conftest import make_id_number

pytestmark = pytest.mark.django_db(transaction=True)
PHONE_VIEW = {"width": 360, "height": 780}


def _phone_context(browser, latitude, longitude):
    context = browser.new_context(locale="zh-CN", viewport=PHONE_VIEW, is_mobile=True,
                                  geolocation={"latitude": latitude, "longitude": longitude},
                                  permissions=["geolocation"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _sign_up(page, base, phone, n):
    page.goto(f"{base}/")
    page.click("text=登录后领取")
    page.fill("input[name=phone]", phone)
    page.click("button:has-text('获取验证码')")
    sms = page.inner_text("#sandbox-sms")
    code = re.search(r"验证码是 (\d{6})", sms).group(1)
    page.fill("input[name=code]", code)
    page.click("button:has-text('登录')")
    page.wait_for_selector("text=实名认证")
    page.fill("input[name=name]", "张三")
    page.fill("input[name=id_number]", make_id_number(n))
    page.check("input[name=consent]")  # the separate consent to the privacy notice (PIPL)
    page.click("button:has-text('提交')")
    page.wait_for_selector("text=实名认证完成")


def test_a_resident_in_linfen_claims_and_sees_the_payment_code(browser, live_server,
                                                               open_release):
    context, page = _phone_context(browser, 36.08, 111.52)  # Linfen city centre, WGS-84
    try:
        _sign_up(page, live_server.url, "13812345678", 1)
        assert "正在发放" in page.inner_text("#release")
        page.click("button:has-text('立即领取')")
        page.wait_for_selector("#paycode svg")
        code = page.inner_text("#paycode .code")
        assert re.fullmatch(r"[1-9]\d{17}", code.replace(" ", ""))
        assert "2024-06-26 22:00" in page.inner_text("#my-voucher")
        assert Voucher.objects.count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # fits the phone
    finally:
        context.close()


def test_someone_in_beijing_is_told_why_and_gets_nothing(browser, live_server, open_release):
    context, page = _phone_context(browser, 39.9087, 116.3975)
    try:
        _sign_up(page, live_server.url, "13912345678", 2)
        page.click("button:has-text('立即领取')")
        page.wait_for_selector("[data-code=OUTSIDE_GEOFENCE]")
        assert "不在临汾市范围内" in page.inner_text("#release")
        assert page.locator("#paycode").count() == 0
        assert Voucher.objects.count() == 0
    finally:
        context.close()
