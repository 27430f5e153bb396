"""The till in the browser (issue 16, item 1 and "Done when"): goods first, the customer's code
last. A furniture shop's till starts in furniture; an appliance's barcode, typed by a handheld
scanner (fast keys, then Enter), shows brand, model, kind and grade at once; the quote is
confirmed more than a minute later with the code on the resident's screen, and that screen turns
into the success view; a return appears in the resident's history; axe-core finds no serious or
critical violation on the till and the receipt; the receipt prints alone.

``HUIQUAN_SHOTS=1`` also writes the screenshots of every state at 390 and 1024 px to docs/img/
(till-*.png)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from huiquan.redemptions.models import Redemption
from tests.e2e.resident import phone_context
from tests.merchant_fixtures import AIRCON_GTIN

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1024, "height": 768}}


def _cookie(base: str, user: Any) -> list[dict[str, Any]]:
    client = Client()
    client.force_login(user)
    return [{"name": settings.SESSION_COOKIE_NAME,
             "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": base}]


def _till(browser: Any, base: str, user: Any, view: str = "desk") -> tuple[Any, Any]:
    context = browser.new_context(locale="zh-CN", viewport=WIDTHS[view],
                                  device_scale_factor=1 if view == "desk" else 2,
                                  is_mobile=view == "phone", has_touch=view == "phone")
    context.add_cookies(_cookie(base, user))
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _shot(page: Any, name: str, *, whole: bool = True) -> None:
    """The page as a cashier sees it: the whole page, or (``whole=False``) the screen, with the
    sticky summary where it stays."""
    if os.environ.get("HUIQUAN_SHOTS"):
        width = page.viewport_size["width"]
        sticky = "s => { const e = document.getElementById('summary'); if (e) e.style.position = s; }"
        if whole:  # a whole-page picture has no screen bottom for the summary to stick to
            page.evaluate(sticky, "static")
        page.screenshot(path=SHOTS / f"till-{name}-{width}.png", full_page=whole)
        page.evaluate(sticky, "")


def _wedge(page: Any, selector: str, text: str) -> None:
    """A handheld laser scanner: a keyboard that types the code fast and presses Enter."""
    page.click(selector)
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


def _resident_code(resident_page: Any) -> str:
    return str(resident_page.inner_text("#paycode-digits")).replace(" ", "")


def test_furniture_till_quote_then_code_a_minute_later_resident_sees_success_and_return(
        browser, live_server, clock, make_merchant, catalog, holder):  # type: ignore[no-untyped-def]
    base = live_server.url
    shop = make_merchant(categories=["furniture"])
    person = holder()
    phone, resident = phone_context(browser, cookies=_cookie(base, person.user))
    context, page = _till(browser, base, shop.till_user)
    try:
        resident.goto(f"{base}/")
        resident.wait_for_selector("#paycode .barcode svg")

        page.goto(f"{base}/merchant/till/")
        assert page.locator("fieldset.line").count() == 1  # one row, in the shop's own category
        assert page.eval_on_selector("#mode_1", "s => s.selectedOptions[0].textContent") == "家居类"
        assert page.locator("#gtin_1").is_hidden()
        kinds = page.eval_on_selector_all("#kind_1 option", "os => os.map(o => o.textContent)")
        assert "坐卧类家具（床、沙发）" in kinds and not any("空调" in k for k in kinds)
        page.select_option("#kind_1", label="坐卧类家具（床、沙发）")
        page.fill("#desc_1", "三人布艺沙发")
        page.fill("#price_1", "6800")
        page.fill("#disc_1", "300")
        page.click("#compute")
        page.wait_for_selector("#quote")
        assert "650.00" in page.inner_text("#subsidy")
        assert "5,850.00" in page.inner_text("#pays")
        assert not Redemption.objects.exists()  # a quote holds nothing

        clock.advance(seconds=90)  # more than a minute: a code shown at the quote would lapse
        resident.click("#paycode-refresh")
        resident.wait_for_timeout(300)
        _wedge(page, "#payment_code", _resident_code(resident))  # scanned last: Enter confirms
        page.wait_for_selector("#receipt")
        assert "已核销" in page.inner_text("#state")

        resident.wait_for_selector("#my-voucher.success", timeout=20_000)
        success = resident.inner_text("#my-voucher")
        assert "支付成功" in success and shop.legal_name in success and "650 元" in success

        page.fill("input[name=reason]", "尺寸不合适")
        page.check("input[name=all]")
        page.on("dialog", lambda d: d.accept())
        page.click("button:has-text('登记退货')")
        page.wait_for_selector("#returns")
        resident.reload()
        history = resident.inner_text("#history")
        assert shop.legal_name in history and "退货" in history
    finally:
        context.close()
        phone.close()


@pytest.mark.parametrize("view", ["desk", "phone"])
def test_appliance_till_scanner_goods_quote_code_receipt_checked(
        browser, live_server, axe, shop, holder, view):  # type: ignore[no-untyped-def]
    base = live_server.url
    person = holder()
    context, page = _till(browser, base, shop.till_user, view)
    try:
        page.goto(f"{base}/merchant/till/")
        assert page.eval_on_selector("#mode_1", "s => s.value") == "gtin"
        _check_labels(page)
        assert axe(page) == []
        _shot(page, "empty")

        _wedge(page, "#gtin_1", AIRCON_GTIN)  # looked up at once; the cursor goes to the price
        page.wait_for_selector("#goods_1.ok")
        goods = page.inner_text("#goods_1")
        assert "海尔" in goods and "家用空调" in goods and "能效 1 级" in goods
        assert page.evaluate("document.activeElement.id") == "price_1"
        page.keyboard.type("4999")
        page.click("#add-row")  # a second row, without a round trip
        assert page.locator("fieldset.line").count() == 2
        _wedge(page, "#gtin_2", "6900000000991")
        page.wait_for_selector("#goods_2.bad")
        assert "不在目录中" in page.inner_text("#goods_2")
        _check_labels(page)
        assert axe(page) == []
        _shot(page, "goods")
        page.select_option("#mode_2", "other")
        page.fill("#desc_2", "电热水壶")
        page.fill("#price_2", "99")

        page.click("#compute")
        page.wait_for_selector("#quote")
        assert "499.90" in page.inner_text("#subsidy")
        assert _in_view(page, "#confirm") and _in_view(page, "#subsidy")  # the sticky summary
        quote = page.inner_text("#quote")
        assert "海尔 KFR-35GW/B1KBB81U1" in quote and "能效 1 级" in quote and "不补贴" in quote
        _check_labels(page)
        assert axe(page) == []
        _shot(page, "quote", whole=False)

        _wedge(page, "#payment_code", "100000000000000000")  # a wrong code: the quote stays
        page.wait_for_selector("#till-error")
        assert "付款码无效" in page.inner_text("#till-error")
        assert _in_view(page, "#till-error") and _in_view(page, "#confirm")
        assert axe(page) == []
        _shot(page, "error", whole=False)

        _wedge(page, "#payment_code", _code(person))
        page.wait_for_selector("#receipt")
        assert "已核销" in page.inner_text("#state")
        assert axe(page) == []
        _shot(page, "receipt")
        page.emulate_media(media="print")  # 打印小票 prints the receipt alone
        assert page.locator("#receipt").is_visible()
        for hidden in ("header.hero", "nav.m", "#return-form", ".foot", "#pdf"):
            assert page.locator(hidden).is_hidden(), hidden
    finally:
        context.close()


def _code(person: Any) -> str:
    from huiquan.vouchers import paycode

    return paycode.current_code(person.voucher)


def _in_view(page: Any, selector: str) -> bool:
    return bool(page.eval_on_selector(selector, """e => { const r = e.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight; }"""))


def _check_labels(page: Any) -> None:
    """Every visible input and select has a visible label naming it, at this width."""
    unlabelled = page.evaluate("""() => Array.from(document.querySelectorAll(
          '#till-form input:not([type=hidden]), #till-form select'))
        .filter(e => e.offsetParent !== null)
        .filter(e => !(e.labels && Array.from(e.labels).some(l => l.offsetParent !== null
                                                              && l.getBoundingClientRect().width > 0)))
        .map(e => e.id || e.name)""")
    assert unlabelled == []


def test_no_camera_says_so(browser, live_server, shop):  # type: ignore[no-untyped-def]
    context, page = _till(browser, live_server.url, shop.till_user)
    try:
        page.goto(f"{live_server.url}/merchant/till/")
        page.click("[data-scan=gtin_1]")
        page.wait_for_selector("#scan-status:not([hidden])")
        message = page.inner_text("#scan-status")
        assert re.search("摄像头", message) and "扫码枪" in message
        assert page.locator("#scanner").is_hidden()
    finally:
        context.close()


def _camera_film(path: Path, text: str, fmt: str) -> Path:
    """A Y4M film of a barcode held in front of the camera (Chromium's fake camera plays it)."""
    import numpy as np
    import zxingcpp

    barcode = zxingcpp.create_barcode(text, getattr(zxingcpp.BarcodeFormat, fmt))
    image = np.array(zxingcpp.write_barcode_to_image(barcode, scale=4), dtype=np.uint8)
    width, height = 640, 480
    frame = np.full((height, width), 255, dtype=np.uint8)
    h, w = image.shape
    top, left = (height - h) // 2, (width - w) // 2
    frame[top:top + h, left:left + w] = image
    chroma = np.full((height // 2) * (width // 2), 128, dtype=np.uint8).tobytes()
    with path.open("wb") as film:
        film.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            film.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return path


def _camera_browser(browser: Any, film: Path) -> Any:
    from tests.e2e.conftest import CHROMIUM

    return browser.browser_type.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={film}"])


def test_the_camera_reads_an_ean13_without_barcode_detector(browser, live_server, shop,
                                                             tmp_path):  # type: ignore[no-untyped-def]
    """Debian's chromium has no BarcodeDetector (as iOS and Windows browsers): the vendored
    ZXing library reads the goods barcode from the (fake) camera, and the look-up follows."""
    with_camera = _camera_browser(browser, _camera_film(tmp_path / "ean.y4m", AIRCON_GTIN,
                                                        "EAN13"))
    try:
        context, page = _till(with_camera, live_server.url, shop.till_user)
        page.goto(f"{live_server.url}/merchant/till/")
        assert page.evaluate("'BarcodeDetector' in window") is False
        page.click("[data-scan=gtin_1]")
        page.wait_for_function(f"() => document.getElementById('gtin_1').value === '{AIRCON_GTIN}'",
                               timeout=20_000)
        assert page.locator("#scanner").is_hidden()  # the camera stops once it has read
        page.wait_for_selector("#goods_1.ok")
        assert "海尔" in page.inner_text("#goods_1")
    finally:
        with_camera.close()


def test_the_camera_reads_the_payment_code_qr_and_the_sale_completes(browser, live_server, shop,
                                                                      holder, tmp_path):  # type: ignore[no-untyped-def]
    person = holder()
    with_camera = _camera_browser(browser, _camera_film(tmp_path / "qr.y4m", _code(person),
                                                        "QRCode"))
    try:
        context, page = _till(with_camera, live_server.url, shop.till_user)
        page.goto(f"{live_server.url}/merchant/till/")
        page.fill("#gtin_1", AIRCON_GTIN)
        page.fill("#price_1", "3000")
        page.click("#compute")
        page.wait_for_selector("#quote")
        page.click("[data-scan=payment_code]")  # read, then confirmed as a scanner's Enter would
        page.wait_for_selector("#receipt", timeout=20_000)
        assert "已核销" in page.inner_text("#state")
    finally:
        with_camera.close()
