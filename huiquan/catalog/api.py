"""The eligible-goods catalogue over the API (R-CAT-1..5): public, like the campaign page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from huiquan.campaigns.selectors import current_campaign
from huiquan.catalog import selectors
from huiquan.catalog.services import normalise_gtin
from huiquan.core.api_io import errors
from huiquan.core.errors import NotFound

router = Router(tags=["catalog"])


class ProductOut(Schema):
    gtin: str
    brand: str
    model: str
    category: str
    kind: str
    label_type: str
    grade: int
    eligible: bool
    reason: str
    catalog_version: int | None


class ProductQuery(Schema):
    gtin: str = Field(max_length=64, description="13 位商品条码（EAN-13）；全角数字、空格可以")


@router.get("/catalog/products", response={200: list[ProductOut], **errors(404)},
            summary="按商品条码查询补贴目录")
def products(request: HttpRequest, query: Query[ProductQuery]) -> Any:
    campaign = current_campaign()
    if campaign is None:
        raise NotFound("当前没有活动")
    gtin = normalise_gtin(query.gtin)
    product = selectors.product_by_gtin(campaign, gtin)
    if product is None:
        return []
    version = selectors.current_version(campaign)
    reason = "" if product.eligible else (
        f"能效等级 {product.grade} 级" if product.grade > (product.kind.max_grade or 2)
        else product.delist_reason or "品类已暂停")
    return [{"gtin": product.gtin, "brand": product.brand, "model": product.model,
             "category": product.kind.category_name, "kind": product.kind.name,
             "label_type": product.label_type, "grade": product.grade,
             "eligible": product.eligible, "reason": reason,
             "catalog_version": version.number if version else None}]
