"""Reads of the catalogue: the till's look-ups and the public list (R-CAT-5, R-ROLE-2)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection

from huiquan.catalog.models import CatalogVersion, Kind, Product
from huiquan.core import memo, sql


@cache
def _product_sql(vendor: str) -> str:
    return (f"SELECT {sql.columns(Product, 'p')}, {sql.columns(Kind, 'k')} "  # noqa: S608
            "FROM catalog_product p JOIN catalog_kind k ON k.id = p.kind_id "
            "WHERE p.campaign_id = %s AND p.gtin = %s")


def _read_product(campaign_id: int, gtin: str) -> Product | None:
    row = sql.fetch_one(_product_sql(connection.vendor), [campaign_id, gtin])
    if row is None:
        return None
    split = sql.width(Product)
    product = sql.instance(Product, row[:split])
    product.kind = sql.instance(Kind, row[split:])
    return product


# The till looks the same few appliances up all day. The register changes only through numbered
# versions (services._new_version: every listing, delisting and kind switch makes one), so an
# entry read while version N was the newest stays right for as long as N is. A caller that has
# read the newest number in the same statement as the rest of its scan passes it as ``version``;
# the entry is then taken from this process's memo, filed under that number. Only entries that
# exist are kept (a GTIN not found is read again), never more than _MEMO_SIZE. Entries are shared:
# callers must not change them.
_MEMO_SIZE = 4096
_memo = memo.new_dict("catalog.goods")


def _remembered(key: tuple[str, int, int, Any], read: Any) -> Any:
    found = _memo.get(key)
    if found is None:
        found = read()
        if found is not None:
            if len(_memo) >= _MEMO_SIZE:
                _memo.clear()
            _memo[key] = found
    return found


def product_by_gtin(campaign: Any, gtin: str, *, version: int | None = None) -> Product | None:
    """The register's entry for a GTIN, with its kind, in one plain query (scanned at the till
    on every sale: bench/RESULTS.md); with ``version`` (the newest catalogue version's number,
    just read) from the memo above when it is there."""
    if version is None:
        return _read_product(campaign.pk, gtin)
    product: Product | None = _remembered(("product", campaign.pk, version, gtin),
                                          lambda: _read_product(campaign.pk, gtin))
    return product


def kind_by_id(campaign: Any, kind_id: int, *, version: int | None = None) -> Kind | None:
    """A kind of this campaign (None for another campaign's or no kind); ``version`` as above."""
    def read() -> Kind | None:
        return Kind.objects.filter(campaign_id=campaign.pk, pk=kind_id).first()

    if version is None:
        return read()
    kind: Kind | None = _remembered(("kind", campaign.pk, version, kind_id), read)
    return kind


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
