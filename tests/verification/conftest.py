"""A completed sale of an air conditioner at an approved shop, and its draft submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.merchant_fixtures import aircon, redeem_at


@dataclass
class Sale:
    shop: Any
    user: Any
    redemption: Any
    holder: Any


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Each test's documents in its own folder; the checks task runs at once (no worker)."""
    settings.STORAGES = {**django_settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "documents")}}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default"]}}


@pytest.fixture
def make_sale(shop, holder):  # type: ignore[no-untyped-def]
    def make(price_fen: int = 500_000, at: Any = None, lines: list[Any] | None = None) -> Sale:
        person = holder()
        sale = redeem_at(at or shop, person.voucher, lines or [aircon(price_fen)])
        sale.refresh_from_db()
        return Sale(at or shop, (at or shop).till_user, sale, person)

    return make


@pytest.fixture
def sale(make_sale):  # type: ignore[no-untyped-def]
    return make_sale()
