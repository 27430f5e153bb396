from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode


class VerificationCode(ErrorCode):
    """Codes of claim documents, their checks and their review (R-DOC-1..3)
    (code, HTTP status, default message; docs/api.md)."""

    SALE_NOT_COMPLETED = "SALE_NOT_COMPLETED", 409, "只有已核销完成的交易才需要报备资料"
    SUBMISSION_NOT_FOUND = "SUBMISSION_NOT_FOUND", 404, "没有这份报备资料"
    SUBMISSION_LOCKED = "SUBMISSION_LOCKED", 409, "报备资料已提交审核，不能再修改"
    SUBMISSION_LATE = "SUBMISSION_LATE", 409, "已超过报备截止时间"
    SUBMISSION_INCOMPLETE = "SUBMISSION_INCOMPLETE", 422, "报备资料不完整"
    FACT_INVALID = "FACT_INVALID", 422, "填写的内容不正确"
    DOCUMENT_INVALID = "DOCUMENT_INVALID", 422, "文件内容不正确"
    DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE", 413, "文件过大"
    DOCUMENT_UNSAFE = "DOCUMENT_UNSAFE", 422, "文件含有脚本或自动执行的动作，已拒收"
    REVIEW_STATE = "REVIEW_STATE", 409, "当前状态不允许这个审核操作"
    DECISION_REASON_REQUIRED = "DECISION_REASON_REQUIRED", 422, "请填写原因，商户会看到它"
    SECOND_REVIEWER_REQUIRED = ("SECOND_REVIEWER_REQUIRED", 409,
                                "复核须由另一位审核人员完成：同一人不能既初审又复核")
    CHECKS_NOT_PASSED = ("CHECKS_NOT_PASSED", 409,
                         "自动核验有不通过的项目，不能审核通过：请退回补正或不予通过")


class VerificationError(DomainError):
    code = VerificationCode.FACT_INVALID
    status = 422


class FactInvalid(VerificationError):
    """A typed fact that cannot be right; ``field`` names the form field."""

    code = VerificationCode.FACT_INVALID
    status = 422

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def refused(code: VerificationCode, message: str | None = None) -> VerificationError:
    """The refusal of ``code``, answered with that code's own status."""
    return VerificationError(message or code.message, code=code, status=code.status)
