from __future__ import annotations

from huiquan.core.errors import DomainError


class CatalogError(DomainError):
    code = "CATALOG_INVALID"
    status = 422


class GtinInvalid(CatalogError):
    code = "GTIN_INVALID"


class NotEligibleGoods(CatalogError):
    code = "NOT_ELIGIBLE_GOODS"
