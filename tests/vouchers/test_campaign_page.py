"""The campaign page as residents see it (issue 16): live shops (R-ROLE-2, R-MER-3, R-INT-1), the
coupon card's terms from the campaign (R-USE-2), texts from the campaign file, no rule IDs, why a
resident may not claim (R-CLAIM-3), sold out naming the next release, and the small JSON answers
the page polls."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huiquan.core.geo import wgs84_to_gcj02
from huiquan.merchants.services import suspend_merchant
from huiquan.vouchers.models import Voucher
from huiquan.vouchers.services import claim_voucher
from tests.conftest import INSIDE_LINFEN
from tests.merchant_fixtures import redeem_at, sofa_line

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2] / "huiquan" / "vouchers" / "templates" / "site"
RULE_ID = re.compile(r"R-[A-Z]+-\d")


def page_of(user=None) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_shops_are_the_live_approved_and_trained_ones_not_the_files(
        open_release, make_merchant, market_user):
    listed = make_merchant()
    untrained = make_merchant(trained=False)
    pending = make_merchant(approved=False, trained=False)
    suspended = make_merchant()
    suspend_merchant(merchant=suspended, actor=market_user, reason="核查中")
    page = page_of()
    shops = page.split('id="shops"')[1].split("</section>")[0]
    assert listed.legal_name in shops
    for absent in (untrained, pending, suspended):
        assert absent.legal_name not in shops
    assert "隰县龙泉镇跃进电器商行" not in page  # the campaign file's list is not the live one
    assert "参与商户（1 家）" in shops
    assert f"tel:{listed.contact_phone}" in shops
    assert "家电类" in shops and "家居类" in shops  # its categories, by the campaign's names


def test_a_shop_approved_today_is_listed_today(open_release, make_merchant, reviewer):
    from huiquan.merchants.services import approve_merchant

    shop = make_merchant(approved=False, trained=True)
    assert shop.legal_name not in page_of()
    approve_merchant(merchant=shop, actor=reviewer)
    assert shop.legal_name in page_of()


def test_the_map_link_is_in_gcj02_and_the_distance_point_in_wgs84(open_release, make_merchant):
    gps = make_merchant(lat=36.6920, lng=110.9345, coord_system="wgs84")
    amap = make_merchant(lat=36.6934, lng=110.9406, coord_system="gcj02")
    page = page_of()
    glng, glat = wgs84_to_gcj02(110.9345, 36.6920)
    assert f"position={glng:.6f}%2C{glat:.6f}" in page  # Amap expects GCJ-02
    assert 'data-lat="36.692000" data-lng="110.934500"' in page  # the browser's WGS-84
    assert "position=110.940600%2C36.693400" in page  # already GCJ-02: as stored
    assert gps.legal_name in page and amap.legal_name in page


def test_the_coupon_card_says_the_campaigns_own_terms(holder, campaign):
    someone = holder()
    card = page_of(someone.user).split('id="my-voucher"')[1].split("</section>")[0]
    assert "补贴成交价的 <strong>10%</strong>，最高 <strong>2000 元</strong>" in card
    assert "有效期至 <strong>6月26日（周三）22:00</strong>" in card
    assert 'class="barcode"><svg' in card and 'class="qr"><svg' in card
    campaign.subsidy_rate_percent, campaign.subsidy_cap_fen = 15, 150_000
    campaign.save()
    card = page_of(someone.user).split('id="my-voucher"')[1].split("</section>")[0]
    assert "<strong>15%</strong>，最高 <strong>1500 元</strong>" in card


def test_the_claim_area_and_schedule_come_from_the_campaign(open_release, campaign, make_consumer):
    campaign.config["geofences"]["claim"]["name"] = "某某市"
    campaign.save()
    page = page_of(make_consumer().user)
    assert "某某市" in page and "临汾" not in page
    assert "每周五 10:00 准时发放" in page and "次周周三 22:00" in page


def test_no_county_of_the_shipped_campaign_is_written_into_the_residents_templates():
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        for word in ("临汾", "隰县", "周五", "10:00", "2000", "2,000", "工信", "7 天"):
            assert word not in text, f"{path.name}: {word}"


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_no_rule_id_in_the_residents_templates(template):
    assert not RULE_ID.search((TEMPLATES / template).read_text(encoding="utf-8"))


def test_no_rule_id_jargon_or_pool_balance_on_any_state_of_the_page(open_release, shop, holder,
                                                                     make_consumer):
    someone = holder()
    redeem_at(shop, someone.voucher, [sofa_line(shop.campaign)])
    pages = [page_of(), page_of(make_consumer(verified=False).user), page_of(someone.user),
             page_of(make_consumer().user)]
    for page in pages:
        assert not RULE_ID.search(page)
        assert "校验位" not in page and "资金余额" not in page and "最长 7 天" not in page


def test_a_resident_who_used_a_voucher_sees_why_instead_of_the_button(open_release, shop, holder):
    someone = holder()
    redeem_at(shop, someone.voucher, [sofa_line(shop.campaign)])
    page = page_of(someone.user)
    assert 'data-code="ALREADY_USED_IN_CAMPAIGN"' in page
    assert "每人限用 1 张，不能再领" in page
    assert "立即领取" not in page


def test_a_resident_holding_an_unused_voucher_sees_it_not_the_button(holder):
    page = page_of(holder().user)
    assert 'id="paycode"' in page
    assert "立即领取" not in page


def test_sold_out_names_the_next_releases_date_and_time(open_release, make_consumer):
    open_release.remaining_count = 0
    open_release.save(update_fields=["remaining_count"])
    page = page_of(make_consumer().user)
    assert "第一周期第1批 · 已抢完" in page
    assert "下一批 <strong>6月28日（周五）10:00</strong> 开抢" in page
    assert "立即领取" not in page


def test_the_pages_polled_answers(open_release, holder, shop, make_consumer):
    someone = holder()
    client = signed_in(someone.user)
    state = client.get(f"/m/voucher.json?id={someone.voucher.pk}").json()
    assert state == {"state": "valid", "sale_state": ""}
    other = make_consumer()
    assert signed_in(other.user).get(f"/m/voucher.json?id={someone.voucher.pk}").status_code == 404
    assert Client().get(f"/m/voucher.json?id={someone.voucher.pk}").status_code == 401
    assert client.get("/m/voucher.json?id=%EF%BC%91x").status_code == 404  # never a 500
    code = client.get("/m/paycode.json").json()
    assert code["barcode"].startswith("<svg") and len(code["payment_code"]) == 18
    redeem_at(shop, someone.voucher, [sofa_line(shop.campaign)])
    assert client.get(f"/m/voucher.json?id={someone.voucher.pk}").json() == {
        "state": "used", "sale_state": "completed"}


def test_the_live_count_is_public_cached_and_cheap(open_release, make_consumer):
    client = Client()
    first = client.get(f"/m/releases/{open_release.pk}.json")
    assert first.json()["remaining_count"] == 150 and first.json()["state"] == "open"
    assert first["Cache-Control"] == "public, max-age=2"
    claim_voucher(consumer=make_consumer().consumer, release_id=open_release.pk, **INSIDE_LINFEN)
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(f"/m/releases/{open_release.pk}.json")
    assert len(ctx.captured_queries) == 0  # a crowd of open pages costs no database
    assert again.json()["remaining_count"] == 150  # for at most two seconds
    assert client.get("/m/releases/999999.json").status_code == 404


def test_the_location_check_before_the_rush(open_release, campaign):
    client = Client()
    inside = client.post("/m/locate.json", INSIDE_LINFEN).json()
    assert inside["inside"] is True and "临汾市范围内" in inside["message"]
    beijing = client.post("/m/locate.json", {"lat": 39.9087, "lng": 116.3975}).json()
    assert beijing["inside"] is False and "公里" in beijing["message"]
    assert client.post("/m/locate.json", {"lat": "x", "lng": 1}).status_code == 422
    assert Voucher.objects.count() == 0  # nothing is stored


@pytest.fixture
def market_user(make_user):
    from huiquan.core.roles import Role

    return make_user(Role.MARKET, username="market-user")
