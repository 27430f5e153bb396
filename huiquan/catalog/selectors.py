"""Reads of the catalogue: the till's look-ups and the public list (R-CAT-5, R-ROLE-2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huiquan.catalog.models import CatalogVersion, Kind, Product
from huiquan.core import sql

_PRODUCT_SQL = (
    "SELECT p.id, p.gtin, p.brand, p.model, p.label_type, p.grade, p.listed, p.delist_reason, "
    "p.added_in_id, p.changed_in_id, k.id, k.category_code, k.category_name, k.name, "
    "k.requires_gtin, k.max_grade, k.active, k.\"order\" "
    "FROM catalog_product p JOIN catalog_kind k ON k.id = p.kind_id "
    "WHERE p.campaign_id = %s AND p.gtin = %s"
)


def product_by_gtin(campaign: Any, gtin: str) -> Product | None:
    """The register's entry for a GTIN, with its kind, in one plain query (scanned at the till
    on every sale: bench/RESULTS.md)."""
    row = sql.fetch_one(_PRODUCT_SQL, [campaign.pk, gtin])
    if row is None:
        return None
    kind = Kind(id=row[10], campaign_id=campaign.pk, category_code=row[11],
                category_name=row[12], name=row[13], requires_gtin=bool(row[14]),
                max_grade=row[15], active=bool(row[16]), order=row[17])
    product = Product(id=row[0], campaign_id=campaign.pk, gtin=row[1], brand=row[2],
                      model=row[3], kind=kind, label_type=row[4], grade=row[5],
                      listed=bool(row[6]), delist_reason=row[7], added_in_id=row[8],
                      changed_in_id=row[9])
    for obj in (kind, product):
        obj._state.adding = False
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
