"""Redemption at the till (R-USE-1..4; invariant 5)."""

from __future__ import annotations

import pytest

from huiquan.core.errors import DomainError
from huiquan.reconcile import reconcile
from huiquan.redemptions.models import Redemption, RedemptionState
from huiquan.redemptions.services import redeem_voucher
from tests.merchant_fixtures import aircon, code_of, error_code, redeem_at, sofa_line


def test_aircon_and_sofa_get_ten_percent_and_the_voucher_is_used(shop, holder, campaign):  # type: ignore[no-untyped-def]
    person = holder()
    r = redeem_at(shop, person.voucher, [aircon(500_000, 20_000), sofa_line(campaign, 300_000)])
    assert r.state == RedemptionState.COMPLETED
    assert r.eligible_final_fen == 780_000
    assert r.subsidy_fen == 78_000  # R-USE-2: 10 % of the final price after discounts
    assert r.consumer_pays_fen == 702_000
    person.voucher.refresh_from_db()
    assert person.voucher.used_at is not None
    assert reconcile(campaign).ok, reconcile(campaign).table()


def test_subsidy_is_capped_at_two_thousand_yuan(shop, holder):  # type: ignore[no-untyped-def]
    r = redeem_at(shop, holder().voucher, [aircon(3_000_000)])
    assert r.subsidy_fen == 200_000


def test_other_goods_are_paid_but_not_subsidised(shop, holder):  # type: ignore[no-untyped-def]
    r = redeem_at(shop, holder().voucher, [aircon(100_000), {"other": True, "description": "电热水壶",
                                                             "quantity": 1, "unit_price_fen": 9_900}])
    assert (r.eligible_final_fen, r.subsidy_fen, r.consumer_pays_fen) == (100_000, 10_000, 99_900)


def test_second_redemption_of_the_same_person_is_refused(shop, holder):  # type: ignore[no-untyped-def]
    person = holder()
    redeem_at(shop, person.voucher, [aircon()])
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon()])) == "VOUCHER_USED"


def test_a_rotated_payment_code_is_refused(shop, holder, clock):  # type: ignore[no-untyped-def]
    person = holder()
    old = code_of(person.voucher)
    clock.advance(minutes=3)
    assert error_code(lambda: redeem_voucher(actor=shop.till_user, payment_code=old,
                                        lines=[aircon()])) == "PAYMENT_CODE_INVALID"
    assert error_code(lambda: redeem_voucher(actor=shop.till_user, payment_code="999999991234567890",
                                        lines=[aircon()])) == "PAYMENT_CODE_INVALID"


def test_an_expired_voucher_is_refused(shop, holder, clock):  # type: ignore[no-untyped-def]
    person = holder()
    clock.set(person.voucher.valid_until.isoformat())
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon()])) == "VOUCHER_EXPIRED"


@pytest.mark.parametrize(("line", "code"), [
    ({"gtin": "6900000000015", "unit_price_fen": 100_000}, "GTIN_INVALID"),
    ({"gtin": "690000000001", "unit_price_fen": 100_000}, "GTIN_INVALID"),
    ({"gtin": "4006381333931", "unit_price_fen": 100_000}, "NOT_ELIGIBLE_GOODS"),
    ({"gtin": "6900000000014", "unit_price_fen": -5}, "PRICE_INVALID"),
    ({"gtin": "6900000000014", "unit_price_fen": 100, "discount_fen": 101}, "DISCOUNT_INVALID"),
    ({"gtin": "6900000000014", "unit_price_fen": 100, "discount_fen": -1}, "DISCOUNT_INVALID"),
    ({"gtin": "6900000000014", "unit_price_fen": 9}, "SUBSIDY_ZERO"),
])
def test_bad_lines_are_refused_and_nothing_is_written(shop, holder, line, code):  # type: ignore[no-untyped-def]
    person = holder()
    assert error_code(lambda: redeem_at(shop, person.voucher, [line])) == code
    assert not Redemption.objects.exists()
    person.voucher.refresh_from_db()
    assert person.voucher.used_at is None


def test_a_grade_three_model_is_not_eligible(shop, holder, campaign, bureau):  # type: ignore[no-untyped-def]
    from huiquan.catalog.models import Product

    Product.objects.filter(gtin="6900000000014").update(grade=3)
    with pytest.raises(DomainError) as info:
        redeem_at(shop, holder().voucher, [aircon()])
    assert info.value.code == "NOT_ELIGIBLE_GOODS"
    assert "能效等级 3 级" in info.value.message


def test_untrained_or_unapproved_merchant_cannotredeem_at(make_merchant, catalog, holder):  # type: ignore[no-untyped-def]
    person = holder()
    untrained = make_merchant(trained=False)
    assert error_code(lambda: redeem_at(untrained, person.voucher, [aircon()])) == "MERCHANT_NOT_TRAINED"
    pending = make_merchant(approved=False, trained=False)
    assert error_code(lambda: redeem_at(pending, person.voucher, [aircon()])) == "MERCHANT_NOT_APPROVED"


def test_pool_shorter_than_the_subsidy_is_refused(shop, holder, open_release):  # type: ignore[no-untyped-def]
    from tests.helpers import book_redemptions

    book_redemptions(open_release, 300_000_00 - 50_000)  # leaves 500 yuan in the release
    person = holder()
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon(1_000_000)])) == "POOL_EXHAUSTED"
    r = redeem_at(shop, person.voucher, [aircon(500_000)])  # exactly what is left
    assert r.subsidy_fen == 50_000


def test_payment_failure_releases_the_reservation_and_keeps_the_voucher(shop, holder, campaign,  # type: ignore[no-untyped-def]
                                                                         open_release):
    from huiquan.campaigns.selectors import release_balance

    person = holder()
    before = release_balance(open_release)
    # The sandbox declines a charge whose fen end in 44 (docs: sandbox test amounts).
    price = 100_049
    while (price - price // 10) % 100 != 44:
        price += 1
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon(price)])) == "PAYMENT_FAILED"
    r = Redemption.objects.get()
    assert r.state == RedemptionState.FAILED
    assert release_balance(open_release) == before
    person.voucher.refresh_from_db()
    assert person.voucher.used_at is None
    again = redeem_at(shop, person.voucher, [aircon(100_000)])
    assert again.state == RedemptionState.COMPLETED
    assert reconcile(campaign).ok, reconcile(campaign).table()


def test_timeout_stays_pending_until_the_provider_answers(shop, holder, clock, campaign):  # type: ignore[no-untyped-def]
    from huiquan.redemptions.services import resolve_pending

    person = holder()
    price = 100_000
    while (price - price // 10) % 100 != 55:
        price += 1
    r = redeem_at(shop, person.voucher, [aircon(price)])
    assert r.state == RedemptionState.PENDING
    assert reconcile(campaign).ok
    clock.advance(minutes=2)
    assert resolve_pending() == 1
    r.refresh_from_db()
    assert r.state == RedemptionState.COMPLETED
    assert reconcile(campaign).ok, reconcile(campaign).table()


def test_double_clicked_confirm_gives_one_redemption(shop, holder):  # type: ignore[no-untyped-def]
    person = holder()
    first = redeem_at(shop, person.voucher, [aircon()], idempotency_key="till-1-abc")
    second = redeem_at(shop, person.voucher, [aircon()], idempotency_key="till-1-abc")
    assert first.pk == second.pk
    assert Redemption.objects.count() == 1
    assert error_code(lambda: redeem_at(shop, person.voucher, [aircon(123_400)],
                                 idempotency_key="till-1-abc")) == "IDEMPOTENCY_MISMATCH"
