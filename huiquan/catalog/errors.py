from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode


class CatalogCode(ErrorCode):
    """Codes of the catalogue of eligible goods
    (code, HTTP status, default message; docs/api.md)."""

    CATALOG_INVALID = "CATALOG_INVALID", 422, "目录数据有误"
    CATALOG_UNCHANGED = "CATALOG_UNCHANGED", 409, "没有任何改动"
    GTIN_INVALID = "GTIN_INVALID", 422, "商品条码不正确"
    NOT_ELIGIBLE_GOODS = "NOT_ELIGIBLE_GOODS", 422, "不是可补贴的商品"


class CatalogError(DomainError):
    code = CatalogCode.CATALOG_INVALID
    status = 422


class GtinInvalid(CatalogError):
    code = CatalogCode.GTIN_INVALID


class NotEligibleGoods(CatalogError):
    code = CatalogCode.NOT_ELIGIBLE_GOODS
