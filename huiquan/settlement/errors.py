"""Error codes of settlement, clawbacks and close-out (docs/api.md)."""

from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode


class SettlementCode(ErrorCode):
    """Codes of settlement (code, HTTP status, default message; docs/api.md)."""

    SETTLEMENT_RUNNING = "SETTLEMENT_RUNNING", 409, "另一个结算批次正在进行，请先完成或撤销它"
    SETTLEMENT_EMPTY = "SETTLEMENT_EMPTY", 409, "没有可结算的已审核核销"
    SETTLEMENT_STATE = "SETTLEMENT_STATE", 409, "结算批次当前状态不允许这一步"
    SETTLEMENT_SAME_USER = "SETTLEMENT_SAME_USER", 403, "结算批次须由另一位财务人员审核"
    BANK_FILE_INVALID = "BANK_FILE_INVALID", 422, "银行回单文件与所发文件不符"
    PAYOUT_ALREADY_PAID = "PAYOUT_ALREADY_PAID", 409, "该笔拨付已确认到账，不能再改"
    RECEIVABLE_INVALID = "RECEIVABLE_INVALID", 422, "追缴还款不正确"
    CLOSEOUT_NOT_READY = "CLOSEOUT_NOT_READY", 409, "活动尚不能清算"


class SettlementError(DomainError):
    code = SettlementCode.SETTLEMENT_STATE
    status = 409
