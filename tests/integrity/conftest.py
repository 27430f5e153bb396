"""World-building for the integrity tests: shops, sales at chosen times and prices (through the
real till), submissions and documents, a market-supervision user."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from huiquan.core.roles import Role
from tests.merchant_fixtures import aircon, redeem_at
from tests.verification.factories import approved_submission


@pytest.fixture
def market(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.MARKET)


@pytest.fixture
def sell(holder, clock):  # type: ignore[no-untyped-def]
    """sell(shop, price_fen, at=...) -> a completed sale of one air conditioner, made by the
    real till at that moment (a new voucher holder each time; claims happen at the release's
    opening, so times must be after 2024-06-21 10:00 and before the voucher expires)."""

    def make(shop: Any, price_fen: int = 500_000, *, at: str | None = None,
             discount_fen: int = 0) -> Any:
        voucher = holder().voucher
        if at:
            clock.set(at)
        return redeem_at(shop, voucher, [aircon(price_fen, discount_fen)])

    return make


@pytest.fixture
def submit(reviewer):  # type: ignore[no-untyped-def]
    """submit(sale, phone=..., docs=[(kind, sha256, phash)]) -> an approved submission."""
    from huiquan.core import clock
    from huiquan.verification.models import Document, Submission

    def make(sale: Any, *, phone: str = "", docs: list[tuple[str, str, str]] = ()) -> Any:
        submission = approved_submission(sale, reviewer)
        if phone:
            Submission.objects.filter(pk=submission.pk).update(phone=phone)
        for kind, sha, phash in docs:
            Document.objects.create(submission=submission, version=1, kind=kind,
                                    file=f"submissions/{submission.pk}/{sha[:8]}.jpg",
                                    content_type="image/jpeg", size=1000, sha256=sha, phash=phash,
                                    uploaded_at=clock.now(), uploaded_by=reviewer)
        return submission

    return make


def settle(sale: Any, at: Any) -> None:
    """What settlement's mark_settled does to the sale (that is the settle branch's code)."""
    from huiquan.redemptions.models import Redemption

    Redemption.objects.filter(pk=sale.pk).update(settled_at=at)


def return_after(sale: Any, *, days: float, actor: Any) -> Any:
    """A return booked ``days`` after the sale's settlement (row as return_goods writes it)."""
    from huiquan.redemptions.models import GoodsReturn, Redemption

    sale = Redemption.objects.get(pk=sale.pk)
    return GoodsReturn.objects.create(
        redemption=sale, created_at=sale.settled_at + timedelta(days=days), actor=actor,
        reason="退货", items=[], returned_final_fen=sale.eligible_final_fen,
        subsidy_back_fen=sale.subsidy_fen, refund_fen=sale.eligible_final_fen - sale.subsidy_fen,
        before_settlement=False)
