"""A shop in Xi County: applies at /merchant/, is approved and trained, redeems a resident's
payment code for an air conditioner (GTIN-13, grade 1) and a sofa, prints the confirmation
form; the resident's page shows the voucher used; a return keeps it used (R-MER-1..5,
R-USE-1..5, R-RET-1)."""

import re

import pytest
from PIL import Image

from huiquan.merchants import services as merchant_services
from huiquan.merchants.models import Merchant
from huiquan.redemptions.models import Redemption
from huiquan.vouchers import paycode
from huiquan.vouchers.services import claim_voucher
from tests.conftest import INSIDE_LINFEN
from tests.merchant_fixtures import AIRCON_GTIN, valid_uscc

pytestmark = pytest.mark.django_db(transaction=True)


def _licence(tmp_path):
    path = tmp_path / "licence.png"
    Image.new("RGB", (600, 400), (180, 30, 30)).save(path)
    return str(path)


def _otp(page, base, url, phone):
    page.goto(f"{base}{url}")
    page.fill("input[name=phone]", phone)
    page.click("button:has-text('获取验证码')")
    code = re.search(r"验证码是 (\d{6})", page.inner_text("#sandbox-sms")).group(1)
    page.fill("input[name=code]", code)
    page.click("button:has-text('登录')")


def test_merchant_applies_is_approved_redeems_and_takes_a_return(browser, live_server, tmp_path,
                                                                 open_release, catalog, reviewer,
                                                                 make_consumer, clock):
    base = live_server.url
    resident = make_consumer(phone="13700000001")
    voucher = claim_voucher(consumer=resident.consumer, release_id=open_release.pk, **INSIDE_LINFEN)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _otp(page, base, "/merchant/login/", "15912340001")
        page.fill("input[name=legal_name]", "隰县龙泉镇测试家居商行")
        page.click("button:has-text('开始填写申请')")
        page.fill("input[name=uscc]", valid_uscc(42))
        page.fill("input[name=address]", "隰县新建路 8 号")
        page.fill("input[name=lat]", "36.6934")
        page.fill("input[name=lng]", "110.9406")
        page.select_option("select[name=coord_system]", "gcj02")
        page.check("input[name=categories][value=appliance]")
        page.check("input[name=categories][value=furniture]")
        page.select_option("select[name=scale]", "individual")
        page.fill("input[name=bank_name]", "中国建设银行隰县支行")
        page.fill("input[name=bank_account_name]", "隰县龙泉镇测试家居商行")
        page.fill("input[name=bank_account]", "6217000099998888")
        page.set_input_files("input[name=licence]", _licence(tmp_path))
        page.click("button:has-text('保存并提交审核')")
        page.wait_for_selector("text=等待平台审核")
        assert "✓ 通过" in page.inner_text("#status")

        merchant = Merchant.objects.get(uscc=valid_uscc(42))
        merchant_services.approve_merchant(merchant=merchant, actor=reviewer)
        page.goto(f"{base}/merchant/till/")
        assert "培训" in page.inner_text("#till-locked")  # approved, untrained: locked
        merchant_services.record_training(merchant=merchant, actor=reviewer, trainee_name="李店长",
                                          mode="online")

        page.goto(f"{base}/merchant/till/")  # goods first, the payment code last (issue 16)
        page.fill("input[name=gtin_1]", AIRCON_GTIN)
        page.fill("input[name=price_1]", "4999")
        page.fill("input[name=disc_1]", "300")
        page.click("#add-row")
        page.select_option("select[name=mode_2]", "kind:furniture")
        page.select_option("select[name=kind_2]", label="坐卧类家具（床、沙发）")
        page.fill("input[name=desc_2]", "三人布艺沙发")
        page.fill("input[name=price_2]", "3200")
        page.click("#compute")
        assert "789.90" in page.inner_text("#subsidy")  # (4,699 + 3,200) × 10 %
        assert "7,109.10" in page.inner_text("#pays")
        page.fill("#payment_code", paycode.current_code(voucher))
        page.click("#confirm")
        page.wait_for_selector("#receipt")
        assert "已核销" in page.inner_text("#state")
        assert Redemption.objects.filter(state="completed").count() == 1
        with page.expect_popup() as popup:
            page.click("#pdf")
        assert popup.value  # the confirmation PDF opens

        clock.advance(minutes=2)  # the resident's last code was sent at sign-up
        phone = browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 780})
        resident_page = phone.new_page()
        resident_page.set_default_timeout(15_000)
        _otp(resident_page, base, "/m/login/", "13700000001")
        resident_page.wait_for_selector("#my-voucher")
        assert "已使用" in resident_page.inner_text("#my-voucher")

        page.fill("input[name=reason]", "顾客不想要沙发了")
        sofa_input = page.locator("input[name^=return_]").nth(1)
        sofa_input.fill("1")
        page.on("dialog", lambda d: d.accept())
        page.click("button:has-text('登记退货')")
        page.wait_for_selector("#returns")
        assert "320.00" in page.inner_text("#returns")  # the sofa's subsidy comes back
        resident_page.reload()
        assert "已使用" in resident_page.inner_text("#my-voucher")  # R-USE-5
        phone.close()
    finally:
        context.close()
