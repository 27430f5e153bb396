"""Every kind of page in headless chromium under the Content-Security-Policy (issue 11, item 9):
no CSP violation and no script error in the console, nothing fetched from another site (the
API docs work offline), and the behaviours moved out of the templates still work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from huiquan.core.roles import Role
from huiquan.staff import services as staff
from tests.merchant_fixtures import aircon, redeem_at

pytestmark = pytest.mark.django_db(transaction=True)


class Watched:
    def __init__(self, browser: Any, base: str):
        self.base = base
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 900})
        self.problems: list[str] = []
        self.outside: list[str] = []
        self.context.on("console", self._console)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.problems.append(message.text)

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(self.base):
            route.continue_()
        else:  # offline: nothing may come from another site
            self.outside.append(route.request.url)
            route.abort()

    def sign_in(self, user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                                   "url": self.base}])

    def visit(self, path: str) -> Any:
        self.page.goto(f"{self.base}{path}")
        self.page.wait_for_load_state("load")
        return self.page


@pytest.fixture
def watched(browser: Any, live_server: Any) -> Iterator[Any]:
    opened: list[Watched] = []

    def make() -> Watched:
        opened.append(Watched(browser, live_server.url))
        return opened[-1]

    yield make
    for w in opened:
        w.context.close()
    problems = [p for w in opened for p in w.problems]
    outside = [u for w in opened for u in w.outside]
    assert problems == [], problems
    assert outside == [], outside


def test_public_pages_and_the_api_docs(watched, open_release):
    w = watched()
    home = w.visit("/")
    assert home.locator("progress.bar").is_visible()  # the release's progress, no inline style
    for path in ["/m/login/", "/merchant/login/", "/office/login/", "/admin/login/",
                 "/no-such-page/"]:
        w.visit(path)
    docs = w.visit("/api/docs")
    docs.wait_for_selector(".opblock-summary", timeout=20_000)  # Swagger UI drew the operations
    assert docs.locator(".opblock-summary").count() >= 5


def test_a_resident_with_a_voucher_and_an_unverified_one(watched, holder, make_consumer):
    w = watched()
    w.sign_in(holder().user)
    page = w.visit("/")
    assert page.locator("#paycode .qr svg").count() == 1  # the payment code's QR (segno SVG)
    assert page.locator("#paycode .barcode svg").count() == 1  # and its Code 128 (issue 16)
    newcomer = watched()
    newcomer.sign_in(make_consumer(verified=False).user)
    newcomer.visit("/m/identity/")


def test_the_merchant_pages_and_their_moved_scripts(watched, shop, holder, make_merchant):
    redemption = redeem_at(shop, holder().voucher, [aircon()])
    w = watched()
    w.sign_in(shop.till_user)
    till = w.visit("/merchant/till/")
    till.select_option("select[name=mode_1]", "kind:furniture")  # till.js shows the kind fields
    assert till.locator("select[name=kind_1]").is_visible()
    assert not till.locator("input[name=gtin_1]").is_visible()

    receipt = w.visit(f"/merchant/redemptions/{redemption.pk}/")
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    receipt.on("dialog", dismiss)
    receipt.fill("input[name=reason]", "尺寸不合适")
    receipt.click("button:has-text('登记退货')")  # pages.js asks first; "cancel" sends nothing
    assert asked == ["确认登记退货？退款不含补贴。"]
    assert receipt.url.endswith(f"/merchant/redemptions/{redemption.pk}/")

    applicant = make_merchant(approved=False, trained=False)
    other = watched()
    other.sign_in(applicant.till_user)
    other.visit("/merchant/application/")


def test_the_office_the_admin_and_the_set_password_page(watched, campaign, bureau, shop,
                                                        make_user):
    w = watched()
    w.sign_in(bureau)
    for path in ["/office/", "/office/funds/", "/office/releases/", "/office/merchants/",
                 f"/office/merchants/{shop.pk}/", "/office/catalog/", "/office/audit/",
                 "/office/reconcile/"]:
        w.visit(path)
    admin = make_user(Role.ADMIN, username="root-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    a = watched()
    a.sign_in(admin)
    for path in ["/admin/", "/admin/core/user/", f"/admin/core/user/{bureau.pk}/change/"]:
        a.visit(path)
    link = staff.add_staff(username="li.si", role="finance", display_name="李四",
                           organisation="隰县财政局")
    newcomer = watched()
    page = newcomer.visit(link.path)
    assert page.locator("input[name=new_password1]").is_visible()
