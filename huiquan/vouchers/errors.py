from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode


class VoucherCode(ErrorCode):
    """Codes of claiming and payment codes
    (code, HTTP status, default message; docs/api.md)."""

    ALREADY_CLAIMED = "ALREADY_CLAIMED", 409, "您已经领取过本批次的券"
    ALREADY_USED_IN_CAMPAIGN = "ALREADY_USED_IN_CAMPAIGN", 409, "您在本次活动中已经使用过一张券：每人限用一张"
    HOLDS_UNUSED_VOUCHER = "HOLDS_UNUSED_VOUCHER", 409, "您还有一张未使用且未过期的券，用完或过期后才能再领"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED", 422, "同一个 Idempotency-Key 不能用于不同的请求"
    NOT_VERIFIED = "NOT_VERIFIED", 403, "请先完成实名认证（姓名 + 身份证号）"
    NO_VOUCHER = "NO_VOUCHER", 404, "没有可用的券"
    OUTSIDE_GEOFENCE = "OUTSIDE_GEOFENCE", 403, "您当前的位置不在活动区域内"
    PAYMENT_CODE_INVALID = "PAYMENT_CODE_INVALID", 422, "付款码无效：请顾客刷新付款码后重新扫描"
    RELEASE_CLOSED = "RELEASE_CLOSED", 409, "本批次已结束"
    RELEASE_NOT_FOUND = "RELEASE_NOT_FOUND", 404, "没有这个发放批次（或不属于当前活动）"
    RELEASE_NOT_OPEN = "RELEASE_NOT_OPEN", 409, "本批次没有发放"
    SOLD_OUT = "SOLD_OUT", 409, "本批次的券已经抢完了，下周五 10:00 再来"
    VOUCHER_IN_USE = "VOUCHER_IN_USE", 409, "这张券正在使用中：商户已扫码，正在确认付款，请稍候"


class ClaimRefused(DomainError):
    """Every refusal of a claim has its own stable code (docs/api.md)."""

    status = 409
