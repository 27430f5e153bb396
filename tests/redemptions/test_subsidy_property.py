"""R-USE-2 against the reference formula, over prices, discounts and mixed baskets (hypothesis).

The baskets go through the till's own ``pricing.quote`` — appliances by barcode, furniture by
kind, and goods outside annex 2 ("other" lines, paid but not subsidised) — so "only eligible
goods count" is tested where the till decides it, not re-derived by the test."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiquan.core.errors import DomainError
from huiquan.redemptions.pricing import quote, subsidy_for
from tests.merchant_fixtures import AIRCON_GTIN


def reference(eligible_final_price: int) -> int:
    """RULES.md R-USE-2, verbatim."""
    return min(eligible_final_price // 10, 200_000)


# (what, quantity, unit price in fen, discount as a percentage of the line's price)
lines = st.lists(
    st.tuples(st.sampled_from(["appliance", "furniture", "other"]), st.integers(1, 5),
              st.integers(1, 2_000_000), st.integers(0, 100)),
    min_size=1, max_size=8)


def _line(what: str, quantity: int, unit: int, discount: int, sofa_kind: int) -> dict:  # type: ignore[type-arg]
    line = {"quantity": quantity, "unit_price_fen": unit, "discount_fen": discount}
    if what == "appliance":
        return {**line, "gtin": AIRCON_GTIN}
    if what == "furniture":
        return {**line, "kind_id": sofa_kind, "description": "布艺沙发"}
    return {**line, "other": True, "description": "电热水壶"}


@pytest.mark.django_db
@given(basket=lines)
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # quote only reads
def test_the_tills_quote_counts_only_eligible_lines(shop, campaign, basket) -> None:  # type: ignore[no-untyped-def]
    from huiquan.catalog.models import Kind

    sofa_kind = Kind.objects.get(campaign=campaign, name__startswith="坐卧类").pk
    raw, eligible_final, total_final = [], 0, 0
    for what, quantity, unit, discount_pct in basket:
        discount = quantity * unit * discount_pct // 100  # never more than the price
        raw.append(_line(what, quantity, unit, discount, sofa_kind))
        total_final += quantity * unit - discount
        if what != "other":
            eligible_final += quantity * unit - discount
    expected = reference(eligible_final)
    try:
        got = quote(campaign=campaign, merchant=shop, lines=raw)
    except DomainError as refused:  # nothing eligible, or a subsidy of 0 fen: never a sale
        assert expected == 0, (basket, refused.code)
        assert refused.code in {"NOT_ELIGIBLE_GOODS", "SUBSIDY_ZERO"}
        return
    assert got.eligible_final_fen == eligible_final
    assert got.total_final_fen == total_final
    assert got.subsidy_fen == expected > 0
    assert got.consumer_pays_fen == total_final - expected
    assert got.subsidy_fen * 10 <= eligible_final  # rounded down, never up


@given(st.integers(0, 10**12))
def test_subsidy_never_exceeds_ten_percent_or_the_cap(price: int) -> None:
    got = subsidy_for(price, rate_percent=10, cap_fen=200_000)
    assert got == reference(price)
