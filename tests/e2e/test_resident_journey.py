"""Release week, as a resident lives it (issue 16): signs in on Thursday, comes back on Friday
without signing in again, gives the location during the countdown, claims at 10:00 with that fix,
shows the code (QR and Code 128, countdown, refresh); a shop's till confirms and the resident's
screen turns into the success view; a return appears in the history (R-USE-1, R-USE-5, R-RET-1,
R-CLAIM-2, R-CON-2)."""

from __future__ import annotations

import io
import re
import time

import pytest
import zxingcpp
from PIL import Image

from huiquan.campaigns.services import confirm_release, receive_funds
from huiquan.consumers.services import RESIDENT_SESSION
from huiquan.redemptions.returns import return_goods
from huiquan.vouchers.models import Voucher
from huiquan.vouchers.services import claim_voucher
from tests.conftest import INSIDE_LINFEN
from tests.e2e.resident import LINFEN, phone_context, sign_up
from tests.merchant_fixtures import redeem_at, sofa_line

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def release_week(campaign, finance, bureau, clock):
    """Release 1 confirmed (150 vouchers); the clock on Thursday evening before it."""
    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000_00,
                  reference="临财〔2024〕1号", actor=finance)
    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=300_000_00, actor=bureau)
    clock.set("2024-06-20T20:00:00+08:00")
    return release


def _scanned(page):
    """The codes a scanner reads off the coupon card as drawn on a 360-px screen (zxing-cpp)."""
    image = Image.open(io.BytesIO(page.locator("#paycode").screenshot()))
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}


def _persistent(cookies):
    """What a phone's browser keeps when it is closed: cookies with an expiry."""
    return [c for c in cookies if c.get("expires", -1) > 0]


def test_thursday_sign_in_friday_claim_till_success_and_a_return(browser, live_server, clock,
                                                                 release_week, shop):
    base = live_server.url
    thursday, page = phone_context(browser, where=None)  # no location asked on Thursday
    try:
        sign_up(page, base, "13812340001", 5)
        assert "地区码" not in page.content()  # the area-code note is the staff's, not hers
        session = next(c for c in thursday.cookies() if c["name"] == "sessionid")
        days = (session["expires"] - time.time()) / 86400
        assert days > RESIDENT_SESSION.days - 1  # kept when the browser closes, for weeks
        kept = _persistent(thursday.cookies())
    finally:
        thursday.close()

    # Friday 09:58: the phone's browser was closed overnight; only persistent cookies remain.
    clock.set("2024-06-21T09:58:30+08:00")
    friday, page = phone_context(browser, where=LINFEN, cookies=kept)
    try:
        page.goto(f"{base}/")
        assert page.locator("a:has-text('登录')").count() == 0  # still signed in
        page.click("#locate-btn")  # the location, asked during the countdown, with the reason
        assert "只用于这次确认" in page.inner_text("#locate-why")
        page.wait_for_selector("#locate-status.ok")
        assert "您在临汾市范围内" in page.inner_text("#locate-status")

        # 10:00: the position can no longer be asked, yet the claim goes through with the fix
        # taken during the countdown.
        friday.clear_permissions()
        clock.set("2024-06-21T10:00:00+08:00")
        page.reload()
        page.click("button:has-text('立即领取')")
        page.wait_for_selector("#paycode .qr svg")
        voucher = Voucher.objects.get()
        card = page.inner_text("#my-voucher")
        assert "补贴成交价的 10%，最高 2000 元" in card  # from the campaign's terms
        assert "有效期至 6月26日（周三）22:00" in card
        assert page.locator("#paycode .barcode svg path").count() == 1
        digits = page.inner_text("#paycode-digits").replace(" ", "")
        assert re.fullmatch(r"[1-9]\d{17}", digits)
        assert 0 < int(page.inner_text("#paycode-left")) <= 60  # the countdown to the next code
        assert _scanned(page) == {"Code128": digits, "QRCode": digits}  # what a scanner reads

        clock.advance(seconds=61)  # a new minute: 刷新付款码 shows the new code at once
        page.click("#paycode-refresh")
        page.wait_for_function("d => document.getElementById('paycode-digits').textContent"
                               ".replace(/ /g, '') !== d", arg=digits)

        # The furniture shop's till confirms a sale with the code on the screen: the page,
        # polling its voucher's state, turns into the success view.
        sale = redeem_at(shop, voucher, [sofa_line(shop.campaign, price_fen=680_000,
                                                   discount_fen=30_000)])
        page.wait_for_selector("#my-voucher.success", timeout=20_000)
        success = page.inner_text("#my-voucher")
        assert "支付成功" in success and shop.legal_name in success
        assert "6500 元" in success and "650 元" in success and "5850 元" in success

        return_goods(actor=shop.till_user, redemption_id=sale.pk, items=None, reason="尺寸不合适")
        page.reload()
        history = page.inner_text("#history")
        assert shop.legal_name in history
        assert "消费券补贴 650 元" in history
        assert "退货：退款 5850 元（不含补贴）" in history  # R-RET-1
        assert "退货不退券" in history  # R-USE-5
        assert "每人限用 1 张" in page.inner_text("#why-not")  # no claim button any more
        assert page.locator("button:has-text('立即领取')").count() == 0
    finally:
        friday.close()


def test_the_open_release_count_updates_while_the_page_is_open(browser, live_server, clock,
                                                                release_week, make_consumer):
    clock.set("2024-06-21T10:00:00+08:00")
    context, page = phone_context(browser)
    try:
        page.goto(f"{live_server.url}/")
        assert page.inner_text("#remaining") == "150"
        someone = make_consumer()
        claim_voucher(consumer=someone.consumer, release_id=release_week.pk, **INSIDE_LINFEN)
        page.wait_for_function("() => document.getElementById('remaining').textContent === '149'",
                               timeout=20_000)
        assert page.eval_on_selector("#remaining-bar", "b => b.value") == 149
    finally:
        context.close()


def test_sold_out_names_the_next_release(browser, live_server, clock, campaign, finance, bureau):
    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000_00,
                  reference="临财〔2024〕1号", actor=finance)
    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=2_000_00, reason="测试：一张券", actor=bureau)
    clock.set("2024-06-21T10:00:00+08:00")
    release.remaining_count = 0
    release.save(update_fields=["remaining_count"])
    context, page = phone_context(browser)
    try:
        page.goto(f"{live_server.url}/")
        assert "已抢完" in page.inner_text("#release h2")
        assert "下一批 6月28日（周五）10:00 开抢" in page.inner_text("#sold-out")
    finally:
        context.close()
