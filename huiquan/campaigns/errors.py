from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode


class CampaignCode(ErrorCode):
    """Codes of funds, releases and the campaign file
    (code, HTTP status, default message; docs/api.md)."""

    AMOUNT_INVALID = "AMOUNT_INVALID", 422, "金额必须是大于零的整数（分）"
    CAMPAIGN_INVALID = "CAMPAIGN_INVALID", 422, "活动文件有误"
    COUNT_INVALID = "COUNT_INVALID", 422, "券数量必须是 1 到 10,000,000 之间的整数"
    FUNDS_NOT_RECEIVED = "FUNDS_NOT_RECEIVED", 409, "资金尚未到位"
    OVER_COMMITTED = "OVER_COMMITTED", 409, "到位金额超过承诺金额"
    REASON_REQUIRED = "REASON_REQUIRED", 422, "请填写原因"
    REFERENCE_REQUIRED = "REFERENCE_REQUIRED", 422, "请填写到账凭证号或文件号，便于审计追溯"
    RELEASE_ALREADY_CONFIRMED = "RELEASE_ALREADY_CONFIRMED", 409, "该批次已经确认过"
    RELEASE_NOT_CONFIRMABLE = "RELEASE_NOT_CONFIRMABLE", 409, "该批次不能确认"


class CampaignError(DomainError):
    code = CampaignCode.CAMPAIGN_INVALID
    status = 422


class FundsNotReceived(DomainError):
    """R-FUND-2: only received money can be released; the message names what is missing."""

    code = CampaignCode.FUNDS_NOT_RECEIVED
    status = 409


class OverCommitted(DomainError):
    code = CampaignCode.OVER_COMMITTED
    status = 409


class ReleaseAlreadyConfirmed(DomainError):
    code = CampaignCode.RELEASE_ALREADY_CONFIRMED
    status = 409


class ReleaseNotConfirmable(DomainError):
    code = CampaignCode.RELEASE_NOT_CONFIRMABLE
    status = 409


class ReasonRequired(DomainError):
    code = CampaignCode.REASON_REQUIRED
    status = 422
