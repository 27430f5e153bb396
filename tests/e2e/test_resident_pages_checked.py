"""The resident's pages checked in the browser (issue 16, items 5 and "Done when"): axe-core finds
no serious or critical WCAG 2.1 A/AA violation on the campaign page, sign-in, real-name and the
coupon card; every button and link is a 44-px target; the campaign page's first load stays under
150 KB and asks nothing of another host."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.e2e.resident import phone_context
from tests.merchant_fixtures import redeem_at, sofa_line

pytestmark = pytest.mark.django_db(transaction=True)
FIRST_LOAD_LIMIT = 150 * 1024


def _signed_in(browser: Any, base: str, user: Any) -> tuple[Any, Any]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return phone_context(browser, cookies=[{"name": settings.SESSION_COOKIE_NAME,
                                            "value": cookie, "url": base}])


def _small_targets(page: Any) -> list[str]:
    """Visible buttons, links and inputs (not hidden, not inline text links inside a sentence)
    smaller than 44 × 44 px."""
    return page.evaluate("""() => Array.from(document.querySelectorAll(
          'button, a.btn, a.chip, a.back, input:not([type=hidden]), .foot button'))
        .filter(e => e.offsetParent !== null)
        .map(e => [e, e.getBoundingClientRect()])
        .filter(([e, r]) => (e.type === 'checkbox' ? r.height < 20 : r.height < 44))
        .map(([e, r]) => e.outerHTML.slice(0, 80) + ' ' + Math.round(r.width) + 'x'
             + Math.round(r.height))""")


def test_the_public_campaign_page_sign_in_and_real_name_pass_axe(browser, live_server, axe,
                                                                 open_release, shop,
                                                                 make_consumer):
    context, page = phone_context(browser)
    try:
        page.goto(f"{live_server.url}/")
        assert axe(page) == []
        assert _small_targets(page) == []
        page.goto(f"{live_server.url}/m/login/")
        page.fill("input[name=phone]", "13812340077")
        page.click("button:has-text('获取验证码')")  # both forms showing
        assert axe(page) == []
        assert _small_targets(page) == []
    finally:
        context.close()
    context, page = _signed_in(browser, live_server.url, make_consumer(verified=False).user)
    try:
        page.goto(f"{live_server.url}/m/identity/")
        page.click("button:has-text('提交')")  # with its error messages next to the fields
        assert page.locator(".errorlist").count() >= 1
        assert axe(page) == []
        assert _small_targets(page) == []
    finally:
        context.close()


def test_the_coupon_card_and_the_success_view_pass_axe(browser, live_server, axe, holder,
                                                       shop):
    someone = holder()
    context, page = _signed_in(browser, live_server.url, someone.user)
    try:
        page.goto(f"{live_server.url}/")
        page.wait_for_selector("#paycode .barcode svg")
        assert axe(page) == []
        assert _small_targets(page) == []
        redeem_at(shop, someone.voucher, [sofa_line(shop.campaign)])
        page.wait_for_selector("#my-voucher.success", timeout=20_000)
        assert axe(page) == []
    finally:
        context.close()


def _first_load(page: Any, url: str) -> tuple[int, list[str]]:
    """Bytes of every answer the page's first load received, and the URLs asked of others."""
    sizes: list[int] = []
    elsewhere: list[str] = []
    base = url.rstrip("/")

    def answered(response: Any) -> None:
        if response.url.startswith(base):
            sizes.append(len(response.body()))

    def asked(request: Any) -> None:
        if not request.url.startswith(base):
            elsewhere.append(request.url)

    page.on("response", answered)
    page.on("request", asked)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return sum(sizes), elsewhere


def test_the_campaign_page_is_light_and_stays_on_this_site(browser, live_server, open_release,
                                                           shop, holder):
    context, page = phone_context(browser)
    try:
        size, elsewhere = _first_load(page, f"{live_server.url}/")
        assert elsewhere == []
        assert size <= FIRST_LOAD_LIMIT, f"{size} bytes"
        assert page.locator("#shops li.shop").count() == 1  # the live list, not the file's 7
    finally:
        context.close()
    context, page = _signed_in(browser, live_server.url, holder().user)
    try:
        size, elsewhere = _first_load(page, f"{live_server.url}/")
        assert elsewhere == []  # the map link is a link: nothing is fetched from Amap
        assert size <= FIRST_LOAD_LIMIT, f"{size} bytes with the coupon card"
    finally:
        context.close()


def test_the_checks_themselves_see_a_violation(browser, live_server, axe, open_release):
    """The harness can fail: a nameless, tiny, low-contrast button is reported by both."""
    context, page = phone_context(browser)
    try:
        page.goto(f"{live_server.url}/")
        page.evaluate("""() => {
            const b = document.createElement('button');
            document.querySelector('main').append(b);
            const p = document.createElement('p');
            p.textContent = '看不清的字';
            p.style.color = '#bbb';
            document.querySelector('main').append(p);
        }""")
        found = axe(page)
        assert any(v.startswith("button-name") for v in found)
        assert any(v.startswith("color-contrast") for v in found)
        assert any("<button></button>" in t for t in _small_targets(page))
    finally:
        context.close()
