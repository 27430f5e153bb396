"""Screenshots of every state of the resident's pages (docs/img/campaign-*.png), on a 360-px
phone, from a scratch demo database and a real server whose demo clock is set per state.

    .venv/bin/python scripts/screenshots_site.py

The till's confirmation and the return are made through the services (as the shop's till
would), at the server's demo time, while the resident's page is open.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
PORT = 8766
BASE = f"http://127.0.0.1:{PORT}"
VAR = Path(tempfile.mkdtemp(prefix="huiquan-site-shots-"))
os.environ.update({"HUIQUAN_VAR_DIR": str(VAR), "DATABASE_URL": "", "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
                   "DJANGO_SETTINGS_MODULE": "huiquan.settings"})

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from huiquan.campaigns.services import confirm_release, receive_funds  # noqa: E402
from huiquan.catalog.models import Kind  # noqa: E402
from huiquan.catalog.services import load_campaign_file  # noqa: E402
from huiquan.consumers import services as consumers  # noqa: E402
from huiquan.consumers.privacy import NOTICE_VERSION  # noqa: E402
from huiquan.consumers.sms import latest_sandbox_message  # noqa: E402
from huiquan.core import clock  # noqa: E402
from huiquan.core.geo import gcj02_to_wgs84  # noqa: E402
from huiquan.core.models import User  # noqa: E402
from huiquan.demo import ensure_demo_world  # noqa: E402
from huiquan.merchants.models import Merchant  # noqa: E402
from huiquan.redemptions.returns import return_goods  # noqa: E402
from huiquan.redemptions.services import redeem_voucher  # noqa: E402
from huiquan.vouchers import paycode  # noqa: E402
from huiquan.vouchers.models import Voucher  # noqa: E402

LINFEN = {"latitude": 36.08, "longitude": 111.52}
BEIJING = {"latitude": 39.9087, "longitude": 116.3975}
_lng, _lat = gcj02_to_wgs84(110.9400, 36.6915)  # a street in Xi County's town, as GPS says it
XI_TOWN = {"latitude": _lat, "longitude": _lng}


class Server:
    """`huiquan serve --clock AT`; ``now()`` is its demo time, for the services called here."""

    def __init__(self, at: str):
        self.at = clock.parse_instant(at)
        self.proc = subprocess.Popen([str(ROOT / ".venv/bin/huiquan"), "serve", "--port", str(PORT),
                                      "--workers", "2", "--no-worker", "--clock", at],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.started = time.time()
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)

    def freeze_here(self) -> None:
        clock.freeze(self.at + timedelta(seconds=time.time() - self.started))

    def stop(self) -> None:
        clock.unfreeze()
        self.proc.terminate()
        self.proc.wait(timeout=20)


@contextmanager
def server(at: str):
    s = Server(at)
    try:
        yield s
    finally:
        s.stop()


def consumer(phone: str, name: str | None, id_number: str | None):
    consumers.request_otp(phone=phone, ip=None)
    code = latest_sandbox_message(phone).split("验证码是 ")[1][:6]
    session = consumers.verify_otp(phone=phone, code=code)
    if name and id_number:
        consumers.submit_identity(consumer=session.consumer, real_name=name, id_number=id_number,
                                  privacy_consent=NOTICE_VERSION)
    client = Client()
    client.force_login(session.user, backend="django.contrib.auth.backends.ModelBackend")
    return session, client.cookies["sessionid"].value


def setup() -> dict:
    call_command("migrate", verbosity=0)
    clock.freeze(clock.parse_instant("2024-06-20T09:00:00+08:00"))
    campaign = load_campaign_file(path=ROOT / "campaigns" / "xixian-2024-home.toml").campaign
    ensure_demo_world()
    finance, bureau = User.objects.get(username="finance"), User.objects.get(username="bureau")
    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000_00,
                  reference="临财〔2024〕18号", actor=finance)
    period = campaign.periods.get(number=1)
    confirm_release(release=period.releases.get(number=1), amount_fen=4_000_00,
                    reason="截图用：两张券", actor=bureau)
    people = {
        "a": consumer("13800000001", "张三", "141031198001011231"),
        "b": consumer("13800000002", "李四", "11010519491231002X"),
        "c": consumer("13800000003", "王五", "141000199005154563"),
        "new": consumer("13800000004", None, None),
    }
    clock.unfreeze()
    return {"campaign": campaign, "people": people, "bureau": bureau, "period": period}


def main() -> None:
    world = setup()
    people = world["people"]
    OUT.mkdir(parents=True, exist_ok=True)
    furniture_shop = Merchant.objects.get(legal_name__contains="智清家具")
    till_user = furniture_shop.staff.get().user
    sofa = Kind.objects.get(campaign=world["campaign"], name__startswith="坐卧类")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])

        def page_for(who: str | None, where: dict):
            ctx = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True,
                                      device_scale_factor=2, locale="zh-CN",
                                      geolocation=where, permissions=["geolocation"])
            if who:
                ctx.add_cookies([{"name": "sessionid", "value": people[who][1], "url": BASE}])
            return ctx.new_page()

        def shot(p, name: str, *, full: bool = False, at: str | None = None) -> None:
            if at:
                p.locator(at).scroll_into_view_if_needed()
                p.evaluate("sel => document.querySelector(sel).scrollIntoView()", at)
            p.screenshot(path=OUT / f"campaign-{name}.png", full_page=full)

        with server("2024-06-20T20:00:00+08:00"):  # Thursday evening
            p = page_for(None, LINFEN)
            p.goto(BASE + "/")
            shot(p, "upcoming")
            p.goto(BASE + "/m/login/")
            p.fill("input[name=phone]", "13800000009")
            p.click("button:has-text('获取验证码')")
            shot(p, "sign-in")
            p = page_for("new", LINFEN)
            p.goto(BASE + "/m/identity/")
            shot(p, "identity", full=True)
            p = page_for("a", XI_TOWN)
            p.goto(BASE + "/")
            p.click("#locate-btn")
            p.wait_for_selector("#locate-status.ok")
            shot(p, "ready", at="#release")
        with server("2024-06-21T10:00:03+08:00") as s:  # Friday, the release is open
            p = page_for("a", XI_TOWN)
            p.goto(BASE + "/")
            shot(p, "open", at="#release")
            p.click("button:has-text('立即领取')")
            p.wait_for_selector("#paycode svg")
            shot(p, "voucher")
            shot(p, "shops", at="#shops")
            b = page_for("b", BEIJING)
            b.goto(BASE + "/")
            b.click("button:has-text('立即领取')")
            b.wait_for_selector("[data-code]")
            shot(b, "outside", at="#release")
            c = page_for("c", LINFEN)
            c.goto(BASE + "/")
            c.click("button:has-text('立即领取')")
            c.wait_for_selector("#paycode svg")
            b = page_for("b", LINFEN)
            b.goto(BASE + "/")
            shot(b, "sold-out", at="#release")
            # The furniture shop's till scans the resident's code (the page is open).
            p.goto(BASE + "/")
            p.wait_for_selector("#paycode svg")
            s.freeze_here()
            voucher = Voucher.objects.get(consumer=people["a"][0].consumer)
            sale = redeem_voucher(actor=till_user, payment_code=paycode.current_code(voucher),
                                  lines=[{"kind_id": sofa.pk, "description": "布艺沙发", "quantity": 1,
                                          "unit_price_fen": 680_000, "discount_fen": 30_000}])
            p.wait_for_selector("#my-voucher.success", timeout=20_000)
            shot(p, "paid")
            s.freeze_here()
            return_goods(actor=till_user, redemption_id=sale.pk, items=None, reason="尺寸不合适")
            p.goto(BASE + "/")
            shot(p, "history", at="#history")
        bureau = world["bureau"]
        clock.freeze(clock.parse_instant("2024-06-27T09:00:00+08:00"))
        confirm_release(release=world["period"].releases.get(number=2), amount_fen=4_000_00,
                        reason="截图用：两张券", actor=bureau)
        clock.unfreeze()
        with server("2024-06-28T10:00:03+08:00"):  # the next Friday
            p = page_for("a", LINFEN)
            p.goto(BASE + "/")
            shot(p, "used", at="#release")
            p = page_for("c", LINFEN)
            p.goto(BASE + "/")
            shot(p, "expired")
        browser.close()
    shutil.rmtree(VAR, ignore_errors=True)
    print("\n".join(sorted(str(p.relative_to(ROOT)) for p in OUT.glob("campaign-*.png"))))


if __name__ == "__main__":
    main()
