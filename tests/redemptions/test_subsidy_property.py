"""R-USE-2 against the reference formula, over prices, discounts and mixed baskets (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from huiquan.redemptions.pricing import PricedLine, subsidy_for


def reference(eligible_final_price: int) -> int:
    """RULES.md R-USE-2, verbatim."""
    return min(eligible_final_price // 10, 200_000)


lines = st.lists(
    st.tuples(st.integers(1, 5), st.integers(1, 2_000_000), st.integers(0, 100), st.booleans()),
    min_size=1, max_size=8)


@given(lines)
@settings(max_examples=400, deadline=None)
def test_subsidy_matches_the_reference_over_mixed_baskets(basket) -> None:  # type: ignore[no-untyped-def]
    priced = []
    for i, (qty, unit, discount_pct, eligible) in enumerate(basket, start=1):
        discount = qty * unit * discount_pct // 100  # never more than the price
        priced.append(PricedLine(i, None, None, "", "x", qty, unit, discount, eligible))
    eligible_final = sum(p.final_fen for p in priced if p.eligible)
    got = subsidy_for(eligible_final, rate_percent=10, cap_fen=200_000)
    assert got == reference(eligible_final)
    assert 0 <= got <= 200_000
    assert got * 10 <= eligible_final  # rounded down, never up


@given(st.integers(0, 10**12))
def test_subsidy_never_exceeds_ten_percent_or_the_cap(price: int) -> None:
    got = subsidy_for(price, rate_percent=10, cap_fen=200_000)
    assert got == reference(price)
