"""A resident's phone in the browser tests: a 360-px context, signing up with the sandbox SMS."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import make_id_number

PHONE_VIEW = {"width": 360, "height": 780}
LINFEN = {"latitude": 36.08, "longitude": 111.52}  # Linfen city centre, WGS-84


def phone_context(browser: Any, where: dict[str, float] | None = LINFEN,
                  cookies: list[dict[str, Any]] | None = None) -> tuple[Any, Any]:
    # Phones draw two or three device pixels per CSS pixel; a 1x phone no longer exists.
    options: dict[str, Any] = {"locale": "zh-CN", "viewport": PHONE_VIEW, "is_mobile": True,
                               "device_scale_factor": 2}
    if where is not None:
        options.update(geolocation=where, permissions=["geolocation"])
    context = browser.new_context(**options)
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def sign_up(page: Any, base: str, phone: str, n: int) -> None:
    """Phone, the code from the sandbox SMS shown on the page, then name, consent and ID."""
    page.goto(f"{base}/m/login/")
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
