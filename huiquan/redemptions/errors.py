"""Error codes of the till (docs/api.md)."""

from __future__ import annotations

from huiquan.core.errors import DomainError


class RedemptionError(DomainError):
    code = "REDEMPTION_INVALID"
    status = 422


class PaymentCodeInvalid(RedemptionError):
    code = "PAYMENT_CODE_INVALID"


class VoucherExpired(RedemptionError):
    code = "VOUCHER_EXPIRED"
    status = 409


class VoucherUsed(RedemptionError):
    code = "VOUCHER_USED"
    status = 409


class PoolExhausted(RedemptionError):
    code = "POOL_EXHAUSTED"
    status = 409


class RedemptionNotFound(RedemptionError):
    code = "REDEMPTION_NOT_FOUND"
    status = 404


class ReturnTooLarge(RedemptionError):
    code = "RETURN_TOO_LARGE"


class IdempotencyMismatch(RedemptionError):
    code = "IDEMPOTENCY_MISMATCH"
    status = 409
