from __future__ import annotations

from huiquan.core.errors import DomainError


class MerchantError(DomainError):
    code = "MERCHANT_INVALID"
    status = 422


class UsccInvalid(MerchantError):
    code = "USCC_INVALID"


class OutsideCounty(MerchantError):
    code = "OUTSIDE_COUNTY"


class Blacklisted(MerchantError):
    code = "MERCHANT_BLACKLISTED"
    status = 409


class StateConflict(MerchantError):
    code = "MERCHANT_STATE"
    status = 409
