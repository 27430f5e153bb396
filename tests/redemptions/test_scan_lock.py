"""Failed payment-code scans are limited per till user and per shop (issue 11, item 2; R-USE-1).

Ten wrong codes in a minute lock the till user for five minutes (SCAN_LOCKED, even for a good
code); thirty over all the shop's tills lock the shop; each lock is an audit entry the back office
lists. A good scan still costs one read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huiquan.audit.models import AuditEntry
from huiquan.core.models import User
from huiquan.core.roles import Role
from huiquan.merchants.models import MerchantStaff
from huiquan.redemptions import scan as scanning
from huiquan.redemptions import scanlock
from huiquan.redemptions.models import Redemption
from huiquan.redemptions.services import redeem_voucher
from tests.merchant_fixtures import aircon, code_of, error_code, redeem_at

pytestmark = pytest.mark.django_db


def _wrong(n: int) -> str:
    return f"{10_000_000 + n:08d}{n:010d}"  # well formed, names no voucher


def _scan(user, code):  # type: ignore[no-untyped-def]
    return error_code(lambda: redeem_voucher(actor=user, payment_code=code, lines=[aircon()]))


def _second_till(shop):  # type: ignore[no-untyped-def]
    user = User.objects.create_user(username=f"till2-{shop.pk}", role=Role.MERCHANT,
                                    phone="15900009999")
    MerchantStaff.objects.create(merchant=shop, user=user, name="二号收银")
    return user


def test_ten_wrong_codes_in_a_minute_lock_the_till_user_for_five_minutes(shop, holder, clock):  # type: ignore[no-untyped-def]
    person = holder()
    assert [_scan(shop.till_user, _wrong(i)) for i in range(10)] == ["PAYMENT_CODE_INVALID"] * 10
    # Locked: even the consumer's good code is not looked at, and nothing is written.
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon()])) == "SCAN_LOCKED"
    assert _scan(shop.till_user, _wrong(11)) == "SCAN_LOCKED"
    assert not Redemption.objects.exists()
    locks = AuditEntry.objects.filter(action="redemption.scan_locked")
    assert [(e.object_type, e.object_id) for e in locks] == [("user", str(shop.till_user.pk))]
    assert "错误 10 次" in locks[0].summary
    clock.advance(minutes=4, seconds=59)
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon()])) == "SCAN_LOCKED"
    clock.advance(seconds=1)
    assert redeem_at(shop, person.voucher, [aircon()]).state == "completed"


def test_failures_in_separate_minutes_do_not_add_up(shop, holder, clock):  # type: ignore[no-untyped-def]
    person = holder()
    for _ in range(3):
        assert {_scan(shop.till_user, _wrong(i)) for i in range(9)} == {"PAYMENT_CODE_INVALID"}
        clock.advance(seconds=61)
    assert redeem_at(shop, person.voucher, [aircon()]).state == "completed"
    assert not AuditEntry.objects.filter(action="redemption.scan_locked").exists()


def test_the_shops_tills_together_lock_the_whole_shop(shop, holder, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(scanlock, "PER_MERCHANT", 4)
    other = _second_till(shop)
    person = holder()
    assert [_scan(u, _wrong(i)) for i, u in enumerate([shop.till_user, other] * 2)] == [
        "PAYMENT_CODE_INVALID"] * 4
    # Neither till user reached its own limit; the shop did: every till is locked.
    assert error_code(lambda: redeem_voucher(actor=other, payment_code=code_of(person.voucher),
                                             lines=[aircon()])) == "SCAN_LOCKED"
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon()])) == "SCAN_LOCKED"
    locks = AuditEntry.objects.filter(action="redemption.scan_locked")
    assert [(e.object_type, e.object_id) for e in locks] == [("merchant", str(shop.pk))]


def test_another_shop_is_not_locked_by_this_ones_failures(shop, make_merchant, holder):  # type: ignore[no-untyped-def]
    other = make_merchant()
    for i in range(10):
        _scan(shop.till_user, _wrong(i))
    person = holder()
    assert redeem_at(other, person.voucher, [aircon()]).state == "completed"


def test_a_good_scan_still_costs_one_read(shop, holder):  # type: ignore[no-untyped-def]
    person = holder()
    _scan(shop.till_user, _wrong(1))  # a failure on record does not add a read either
    with CaptureQueriesContext(connection) as ctx:
        seen = scanning.read(shop.till_user, "", code_of(person.voucher))
    assert len(ctx.captured_queries) == 1
    assert seen.voucher == person.voucher and not seen.locked


def test_the_till_page_confirm_counts_failures_and_obeys_the_lock(shop, holder, client):  # type: ignore[no-untyped-def]
    """The page reads a code only at confirm (goods first, issue 16); it must not be a free
    oracle: every wrong code counts, and the lock refuses even the right one."""
    client.force_login(shop.till_user)
    person = holder()
    form = {"step": "confirm", "mode_1": "gtin", "gtin_1": "6900000000014", "qty_1": "1",
            "price_1": "5000"}
    for i in range(10):
        response = client.post("/merchant/till/", {**form, "payment_code": _wrong(i)})
        assert response.status_code == 422 and "付款码无效" in response.content.decode()
    response = client.post("/merchant/till/", {**form, "payment_code": code_of(person.voucher)})
    assert response.status_code == 422 and "收银台已暂时锁定" in response.content.decode()


def test_a_lock_is_listed_on_the_back_office_audit_page(shop, client, reviewer):  # type: ignore[no-untyped-def]
    for i in range(10):
        _scan(shop.till_user, _wrong(i))
    client.force_login(reviewer)
    page = client.get("/office/audit/").content.decode()
    assert "付款码 1 分钟内错误 10 次" in page and "收银台锁定（付款码错误过多）" in page
    filtered = client.get("/office/audit/", {"action": "redemption.scan_locked"})
    assert filtered.status_code == 200 and "锁定 5 分钟" in filtered.content.decode()
