"""Test helpers that book money the way later issues' services will (redemption, returns)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from huiquan.campaigns.selectors import funding_sources
from huiquan.ledger.models import AccountKind, TxKind
from huiquan.ledger.scopes import Scope
from huiquan.ledger.services import transfer


def book_redemptions(release: Any, amount_fen: int, merchant: str = "m1") -> None:
    """Subsidy redeemed at a till: from the release's pool to the merchant's payable (核券)."""
    with transaction.atomic():
        transfer(campaign=release.period.campaign, kind=TxKind.REDEEM,
                 source_scope=Scope(AccountKind.RELEASE_POOL, release=release),
                 dest_scope=Scope(AccountKind.MERCHANT_PAYABLE, party=merchant),
                 amount=amount_fen, release=release, period=release.period,
                 sources=funding_sources(release.period.campaign),
                 memo="test redemption")
