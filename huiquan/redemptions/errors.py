"""Error codes of the till (docs/api.md)."""

from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode
from huiquan.vouchers.errors import VoucherCode


class RedemptionCode(ErrorCode):
    """Codes of the till: sales, payments, returns
    (code, HTTP status, default message; docs/api.md)."""

    DISCOUNT_INVALID = "DISCOUNT_INVALID", 422, "优惠金额不正确"
    GTIN_REQUIRED = "GTIN_REQUIRED", 422, "该品类须录入商品条码"
    ALREADY_SETTLED = "ALREADY_SETTLED", 409, "该笔核销已经结算，未重复结算"
    IDEMPOTENCY_MISMATCH = "IDEMPOTENCY_MISMATCH", 409, "同一个请求号对应了不同的内容"
    LINES_REQUIRED = "LINES_REQUIRED", 422, "请至少录入一件商品"
    LINE_INVALID = "LINE_INVALID", 422, "商品行不正确"
    PAYMENT_CANCELLED = "PAYMENT_CANCELLED", 402, "支付超时，已在支付通道撤销"
    PAYMENT_FAILED = "PAYMENT_FAILED", 402, "支付未成功"
    POOL_EXHAUSTED = "POOL_EXHAUSTED", 409, "本批次剩余补贴资金不足"
    PRICE_INVALID = "PRICE_INVALID", 422, "价格不正确"
    QUOTE_CHANGED = "QUOTE_CHANGED", 409, "商品或价格与报价不一致，请按新的报价确认"
    REDEMPTION_INVALID = "REDEMPTION_INVALID", 422, "核销数据有误"
    REDEMPTION_NOT_COMPLETED = "REDEMPTION_NOT_COMPLETED", 409, "只有已完成的核销可以打印确认书"
    REDEMPTION_NOT_FOUND = "REDEMPTION_NOT_FOUND", 404, "找不到这笔核销记录"
    RETURN_INVALID = "RETURN_INVALID", 422, "退货内容不正确"
    RETURN_TOO_LARGE = "RETURN_TOO_LARGE", 422, "退货数量超过可退数量"
    SCAN_LOCKED = "SCAN_LOCKED", 429, "付款码错误次数过多，收银台已暂时锁定"
    SUBSIDY_ZERO = "SUBSIDY_ZERO", 422, "补贴商品成交价过低，补贴为 0 元，不宜使用消费券"
    VOUCHER_EXPIRED = "VOUCHER_EXPIRED", 409, "这张消费券已过有效期，不能使用"
    VOUCHER_USED = "VOUCHER_USED", 409, "这张消费券已经使用过"


class RedemptionError(DomainError):
    code: str = RedemptionCode.REDEMPTION_INVALID
    status = 422


class PaymentCodeInvalid(RedemptionError):
    code = VoucherCode.PAYMENT_CODE_INVALID


class VoucherExpired(RedemptionError):
    code = RedemptionCode.VOUCHER_EXPIRED
    status = 409


class VoucherUsed(RedemptionError):
    code = RedemptionCode.VOUCHER_USED
    status = 409


class PoolExhausted(RedemptionError):
    code = RedemptionCode.POOL_EXHAUSTED
    status = 409


class RedemptionNotFound(RedemptionError):
    code = RedemptionCode.REDEMPTION_NOT_FOUND
    status = 404


class ReturnTooLarge(RedemptionError):
    code = RedemptionCode.RETURN_TOO_LARGE


class IdempotencyMismatch(RedemptionError):
    code = RedemptionCode.IDEMPOTENCY_MISMATCH
    status = 409


class QuoteChanged(RedemptionError):
    """The goods or prices sent with the payment code do not give the quote the till showed
    (edited after the quote, or the register or the campaign's terms changed meanwhile); the new
    quote is attached for the page (issue 16)."""

    code = RedemptionCode.QUOTE_CHANGED
    status = 409

    def __init__(self, message: str | None = None, *, quote: object = None):
        super().__init__(message)
        self.quote = quote


class PriceInvalid(DomainError):
    """A till line's price, quantity or discount does not fit (pricing)."""

    code = RedemptionCode.PRICE_INVALID
    status = 422


class NoKind(DomainError):
    """A line names no kind of goods the shop may sell (pricing: its code is given when raised)."""


class PaymentError(DomainError):
    code = RedemptionCode.PAYMENT_FAILED
    status = 402


class PaymentCancelled(PaymentError):
    """The charge got no answer in time and was cancelled at the provider by its key."""

    code = RedemptionCode.PAYMENT_CANCELLED
