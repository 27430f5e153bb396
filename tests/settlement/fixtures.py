"""The world of settlement tests: shops with approved sales, two finance officers."""

from __future__ import annotations

from typing import Any

import pytest

from huiquan.core.roles import Role
from tests.merchant_fixtures import aircon, redeem_at
from tests.verification.factories import approved_submission


@pytest.fixture
def finance2(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.FINANCE, "finance-two")


@pytest.fixture
def approved_sale(holder, reviewer):  # type: ignore[no-untyped-def]
    """A completed sale at ``shop`` for ``price_fen`` with an approved submission."""

    def make(shop: Any, price_fen: int = 500_000, approve: bool = True) -> Any:
        person = holder()
        sale = redeem_at(shop, person.voucher, [aircon(price_fen)])
        if approve:
            approved_submission(sale, reviewer)
        return sale

    return make


@pytest.fixture
def two_shops(make_merchant, catalog):  # type: ignore[no-untyped-def]
    return make_merchant(), make_merchant()
