"""Take the README's screenshots of the back office: starts a demo server on a scratch database,
walks the tour in Debian's chromium, and writes docs/img/office-*.png.

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def login(page: Page, user: str, password: str) -> None:
    page.goto(f"{BASE}/office/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("nav.main")


def logout(page: Page) -> None:
    page.click("header .who button")
    page.wait_for_selector("text=工作人员登录")


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="huiquan-shots-"))
    env = {**os.environ, "HUIQUAN_VAR_DIR": str(var), "DATABASE_URL": ""}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/huiquan"), "serve", "--demo", "--port", str(PORT),
         "--workers", "2", "--clock", "2024-06-20T09:30:00+08:00"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            login(page, "bureau", "demo-bureau-2024")
            page.screenshot(path=OUT / "office-overview.png", full_page=True)
            page.click("text=第1批")
            page.click("button:has-text('确认投放')")
            page.screenshot(path=OUT / "office-release.png", full_page=True)
            logout(page)
            login(page, "finance", "demo-finance-2024")
            page.click("nav.main >> text=资金")
            page.select_option("select[name=source]", label="市级财政补贴")
            page.fill("input[name=amount]", "360000")
            page.fill("input[name=reference]", "临财〔2024〕18号")
            page.click("button:has-text('登记到位')")
            page.screenshot(path=OUT / "office-funds.png", full_page=True)
            logout(page)
            login(page, "bureau", "demo-bureau-2024")
            page.click("text=第1批")
            page.click("button:has-text('确认投放')")
            page.screenshot(path=OUT / "office-release-confirmed.png", full_page=True)
            logout(page)
            login(page, "auditor", "demo-auditor-2024")
            page.goto(f"{BASE}/office/audit/")
            page.locator("details").first.click()
            page.screenshot(path=OUT / "office-audit.png", full_page=True)
            page.goto(f"{BASE}/office/reconcile/")
            page.screenshot(path=OUT / "office-reconcile.png", full_page=True)
            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                     device_scale_factor=2)
            login(phone, "bureau", "demo-bureau-2024")
            phone.screenshot(path=OUT / "office-overview-phone.png", full_page=False)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(var, ignore_errors=True)
    print("\n".join(sorted(str(p.relative_to(ROOT)) for p in OUT.glob("office-*.png"))))


if __name__ == "__main__":
    sys.exit(main())
