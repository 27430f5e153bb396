"""Market supervision in a real browser: the signals with their evidence, a case opened from a
signal, a note with a photo, and the disqualification that locks the till (R-INT-1..2).
Screenshots: docs/img/integrity-signals.png, docs/img/integrity-case.png."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from huiquan.integrity import services
from huiquan.integrity.models import Case
from huiquan.merchants.models import Merchant, MerchantState
from tests.integrity.conftest import market, sell, submit  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-test-pass-1"
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture
def signals_world(campaign, make_merchant, catalog, sell, submit):  # type: ignore[no-untyped-def]  # noqa: F811
    burst, night, cap = make_merchant(), make_merchant(), make_merchant()
    for minute in (0, 1, 2, 4, 6, 7):
        sale = sell(burst, at=f"2024-06-21T11:{minute:02d}:00+08:00")
    submit(sale, docs=[("goods_photo", "a" * 64, "ffff0000ffff0000")])
    for n, price in enumerate((1_998_000, 1_990_000, 1_985_000)):
        sell(cap, price, at=f"2024-06-21T1{n + 3}:20:00+08:00")
    submit(sell(night, at="2024-06-21T22:40:00+08:00"),
           docs=[("goods_photo", "a" * 64, "ffff0000ffff0000")])
    sell(night, at="2024-06-22T05:50:00+08:00")
    services.scan(campaign=campaign)
    return burst


def _png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 400), (236, 240, 243))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, 600, 340), outline=(90, 90, 90), width=6)
    draw.line((40, 60, 600, 340), fill=(160, 40, 40), width=5)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_market_supervision_disqualifies_a_shop_from_a_signal(page, live_server, signals_world,
                                                              make_user, tmp_path):
    from huiquan.core.roles import Role

    make_user(Role.MARKET, username="market", password=PASSWORD)
    base = live_server.url
    page.goto(f"{base}/office/login/")
    page.fill("input[name=username]", "market")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("nav.main >> text=诚信监管")
    assert "短时间内集中核销" in page.inner_text("table")
    assert "照片重复使用" in page.inner_text("table")
    page.screenshot(path=str(IMG / "integrity-signals.png"), full_page=True)

    page.click("table >> text=短时间内集中核销 >> xpath=.. >> a")
    assert "判定规则" in page.inner_text("main")
    page.click("button:has-text('立案')")
    page.wait_for_selector("text=已立案")
    photo = tmp_path / "shop.png"
    photo.write_bytes(_png())
    page.fill("textarea[name=entry-text]", "现场核查：6 笔核销对应的空调均无出库记录，店长承认代客刷券。")
    page.set_input_files("input[name=entry-file]", str(photo))
    page.click("button:has-text('添加')")
    page.wait_for_selector("text=已添加记录")
    page.check("input[name=decide-decision][value=disqualification]")
    page.fill("textarea[name=decide-reason]", "虚构交易、套取补贴，证据确凿（R-INT-1）")
    page.click("button:has-text('确认决定')")
    page.wait_for_selector("#decision")
    assert "收银台已锁定" in page.inner_text("#decision")
    assert Merchant.objects.get(pk=signals_world.pk).state == MerchantState.DISQUALIFIED
    assert Case.objects.get().decision == "disqualification"
    page.screenshot(path=str(IMG / "integrity-case.png"), full_page=True)


def test_the_supervision_pages_pass_axe(page, live_server, signals_world, make_user, axe):
    """WCAG 2.1 AA, serious and critical: the list, a signal, the cases, a decided case."""
    from huiquan.core.roles import Role
    from huiquan.integrity.models import Signal

    officer = make_user(Role.MARKET, username="market", password=PASSWORD)
    signal = Signal.objects.filter(kind="burst").get()
    case = services.open_case(actor=officer, campaign=signals_world.campaign,
                              signal_id=signal.pk)
    services.add_entry(actor=officer, campaign=signals_world.campaign, case_id=case.pk,
                       text="现场核查", upload=_png())
    base = live_server.url
    page.goto(f"{base}/office/login/")
    page.fill("input[name=username]", "market")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav.main")
    for path in ("/office/integrity/", f"/office/integrity/signals/{signal.pk}/",
                 "/office/integrity/cases/", f"/office/integrity/cases/{case.pk}/"):
        page.goto(f"{base}{path}")
        assert axe(page) == [], path
    services.decide_case(actor=officer, campaign=signals_world.campaign, case_id=case.pk,
                         decision="referral", reason="涉嫌诈骗", referred_to="隰县公安局")
    page.goto(f"{base}/office/integrity/cases/{case.pk}/")
    assert axe(page) == []
