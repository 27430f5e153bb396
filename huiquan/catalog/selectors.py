"""Reads of the catalogue: the till's look-ups and the public list (R-CAT-5, R-ROLE-2)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection

from huiquan.catalog.models import CatalogVersion, Kind, Product
from huiquan.core import sql


@cache
def _product_sql(vendor: str) -> str:
    return (f"SELECT {sql.columns(Product, 'p')}, {sql.columns(Kind, 'k')} "  # noqa: S608
            "FROM catalog_product p JOIN catalog_kind k ON k.id = p.kind_id "
            "WHERE p.campaign_id = %s AND p.gtin = %s")


def product_by_gtin(campaign: Any, gtin: str) -> Product | None:
    """The register's entry for a GTIN, with its kind, in one plain query (scanned at the till
    on every sale: bench/RESULTS.md)."""
    row = sql.fetch_one(_product_sql(connection.vendor), [campaign.pk, gtin])
    if row is None:
        return None
    split = sql.width(Product)
    product = sql.instance(Product, row[:split])
    product.kind = sql.instance(Kind, row[split:])
    return product


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
