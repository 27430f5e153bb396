"""Reads of the catalogue: the till's look-ups and the public list (R-CAT-5, R-ROLE-2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huiquan.catalog.models import CatalogVersion, Kind, Product


def product_by_gtin(campaign: Any, gtin: str) -> Product | None:
    return (Product.objects.filter(campaign=campaign, gtin=gtin).select_related("kind")
            .first())


def kinds_of(campaign: Any, *, active_only: bool = False) -> list[Kind]:
    qs = Kind.objects.filter(campaign=campaign)
    if active_only:
        qs = qs.filter(active=True)
    return list(qs.order_by("order", "pk"))


def current_version(campaign: Any) -> CatalogVersion | None:
    return CatalogVersion.objects.filter(campaign=campaign).order_by("-number").first()


@dataclass(frozen=True)
class CategoryView:
    code: str
    name: str
    kinds: list[Kind]
    products: list[Product]


def public_catalog(campaign: Any) -> list[CategoryView]:
    """Categories with their active kinds and, for appliances, the listed products."""
    kinds = kinds_of(campaign)
    products = list(Product.objects.filter(campaign=campaign, listed=True, kind__active=True)
                    .select_related("kind"))
    out: list[CategoryView] = []
    for kind in kinds:
        if not out or out[-1].code != kind.category_code:
            out.append(CategoryView(kind.category_code, kind.category_name, [], []))
        if kind.active:
            out[-1].kinds.append(kind)
            out[-1].products.extend(p for p in products if p.kind_id == kind.pk and p.eligible)
    return out


def versions(campaign: Any, limit: int = 20) -> list[CatalogVersion]:
    return list(CatalogVersion.objects.filter(campaign=campaign).select_related("actor")
                .order_by("-number")[:limit])
