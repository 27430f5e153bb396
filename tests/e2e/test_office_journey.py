"""The back office in a real browser: finance records the city's money, the bureau confirms the
first release, the auditor can look but not touch (R-FUND-2, R-SCHED-4, R-ROLE-1)."""

import pytest

from huiquan.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-test-pass-1"


def _login(page, base, username):
    page.goto(f"{base}/office/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav.main")


def _logout(page):
    page.click("header .who button")
    page.wait_for_selector("text=工作人员登录")


def test_finance_then_bureau_release_the_first_300000_yuan(page, live_server, campaign,
                                                           make_user):
    for role in (Role.FINANCE, Role.BUREAU, Role.AUDITOR):
        make_user(role, username=str(role), password=PASSWORD)
    base = live_server.url

    _login(page, base, "bureau")
    page.click("text=第1批")
    page.click("button:has-text('确认投放')")
    assert "市级财政补贴 尚有 360,000.00 元未到位" in page.inner_text(".form-errors")
    _logout(page)

    _login(page, base, "finance")
    page.click("nav.main >> text=资金")
    page.select_option("select[name=source]", label="市级财政补贴")
    page.fill("input[name=amount]", "360000")
    page.fill("input[name=reference]", "临财〔2024〕1号")
    page.click("button:has-text('登记到位')")
    assert "已登记 市级财政补贴 资金到位" in page.inner_text(".messages")
    _logout(page)

    _login(page, base, "bureau")
    page.click("text=第1批")
    assert page.input_value("input[name=amount]") == "300000"
    assert page.input_value("input[name=voucher_count]") == "150"
    page.click("button:has-text('确认投放')")
    assert "已确认投放" in page.inner_text(".messages")
    assert "300,000.00 元，150 张" in page.inner_text("main")
    _logout(page)

    _login(page, base, "auditor")
    page.goto(f"{base}/office/audit/")
    assert "审计链完整" in page.inner_text(".banner")
    assert "确认第一周期第1批：300,000.00 元，150 张" in page.inner_text("table")
    assert page.locator("button:has-text('确认投放')").count() == 0
