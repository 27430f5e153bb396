"""Screenshots of every state of the campaign page (docs/img/campaign-*.png), on a 360-px
phone, from a scratch demo database and a real server whose demo clock is set per state.

    .venv/bin/python scripts/screenshots_site.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
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
from huiquan.catalog.services import load_campaign_file  # noqa: E402
from huiquan.consumers import services as consumers  # noqa: E402
from huiquan.consumers.privacy import NOTICE_VERSION  # noqa: E402
from huiquan.consumers.sms import latest_sandbox_message  # noqa: E402
from huiquan.core import clock  # noqa: E402
from huiquan.demo import ensure_demo_accounts  # noqa: E402
from huiquan.vouchers.models import Voucher  # noqa: E402

LINFEN = {"latitude": 36.08, "longitude": 111.52}
BEIJING = {"latitude": 39.9087, "longitude": 116.3975}


@contextmanager
def server(at: str):
    proc = subprocess.Popen([str(ROOT / ".venv/bin/huiquan"), "serve", "--port", str(PORT),
                             "--workers", "2", "--clock", at],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def consumer(phone: str, name: str, id_number: str):
    consumers.request_otp(phone=phone, ip=None)
    code = latest_sandbox_message(phone).split("验证码是 ")[1][:6]
    session = consumers.verify_otp(phone=phone, code=code)
    consumers.submit_identity(consumer=session.consumer, real_name=name, id_number=id_number,
                              privacy_consent=NOTICE_VERSION)
    client = Client()
    client.force_login(session.user, backend="django.contrib.auth.backends.ModelBackend")
    return session, client.cookies["sessionid"].value


def main() -> None:
    call_command("migrate", verbosity=0)
    clock.freeze(clock.parse_instant("2024-06-20T09:00:00+08:00"))
    campaign = load_campaign_file(path=ROOT / "campaigns" / "xixian-2024-home.toml").campaign
    ensure_demo_accounts()
    from huiquan.core.models import User

    finance, bureau = User.objects.get(username="finance"), User.objects.get(username="bureau")
    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000_00,
                  reference="临财〔2024〕18号", actor=finance)
    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=4_000_00, reason="截图用：两张券",
                    actor=bureau)
    _a, a_cookie = consumer("13800000001", "张三", "141031198001011231")
    _b, b_cookie = consumer("13800000002", "李四", "11010519491231002X")
    c, c_cookie = consumer("13800000003", "王五", "141000199005154563")
    clock.unfreeze()
    OUT.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])

        def page_for(cookie: str | None, where: dict):
            ctx = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True,
                                      device_scale_factor=2, locale="zh-CN",
                                      geolocation=where, permissions=["geolocation"])
            if cookie:
                ctx.add_cookies([{"name": "sessionid", "value": cookie, "url": BASE}])
            return ctx.new_page()

        with server("2024-06-21T09:59:20+08:00"):
            p = page_for(None, LINFEN)
            p.goto(BASE + "/")
            p.screenshot(path=OUT / "campaign-upcoming.png", full_page=True)
            p.goto(BASE + "/m/login/")
            p.fill("input[name=phone]", "13800000009")
            p.click("button:has-text('获取验证码')")
            p.screenshot(path=OUT / "campaign-sign-in.png", full_page=False)
        with server("2024-06-21T10:00:05+08:00"):
            p = page_for(a_cookie, LINFEN)
            p.goto(BASE + "/")
            p.screenshot(path=OUT / "campaign-open.png", full_page=False)
            p.click("button:has-text('立即领取')")
            p.wait_for_selector("#paycode svg")
            p.screenshot(path=OUT / "campaign-voucher.png", full_page=False)
            p = page_for(b_cookie, BEIJING)
            p.goto(BASE + "/")
            p.click("button:has-text('立即领取')")
            p.wait_for_selector("[data-code]")
            p.screenshot(path=OUT / "campaign-outside.png", full_page=False)
            p = page_for(c_cookie, LINFEN)
            p.goto(BASE + "/")
            p.click("button:has-text('立即领取')")
            p.wait_for_selector("#paycode svg")
            p = page_for(b_cookie, LINFEN)
            p.goto(BASE + "/")
            p.screenshot(path=OUT / "campaign-sold-out.png", full_page=False)
        Voucher.objects.filter(consumer=c.consumer).update(used_at="2024-06-22T15:30:00+08:00")
        with server("2024-06-27T09:00:00+08:00"):
            p = page_for(a_cookie, LINFEN)
            p.goto(BASE + "/")
            p.screenshot(path=OUT / "campaign-expired.png", full_page=False)
            p = page_for(c_cookie, LINFEN)
            p.goto(BASE + "/")
            p.screenshot(path=OUT / "campaign-used.png", full_page=False)
        browser.close()
    shutil.rmtree(VAR, ignore_errors=True)
    print("\n".join(sorted(str(p.relative_to(ROOT)) for p in OUT.glob("campaign-*.png"))))


if __name__ == "__main__":
    main()
