from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode


class IntegrityCode(ErrorCode):
    """Codes of integrity signals and market supervision's cases (R-INT-1..2; docs/api.md)."""

    CASE_INVALID = "CASE_INVALID", 422, "案件信息不正确"
    CASE_NOT_FOUND = "CASE_NOT_FOUND", 404, "没有这个案件"
    CASE_ALREADY_DECIDED = "CASE_ALREADY_DECIDED", 409, "该案件已作出处理决定，不能再次决定"
    CASE_ALREADY_OPEN = "CASE_ALREADY_OPEN", 409, "该信号已有调查中的案件"
    SIGNAL_NOT_FOUND = "SIGNAL_NOT_FOUND", 404, "没有这个诚信信号"
    DECISION_INVALID = "DECISION_INVALID", 422, "处理决定只能是警告、暂停、取消资格或移送有关部门"
    DECISION_NOT_POSSIBLE = "DECISION_NOT_POSSIBLE", 409, "商户当前状态不能作此处理"
    EVIDENCE_INVALID = "EVIDENCE_INVALID", 422, "证据文件只接受图片或 PDF（按内容识别）"
    EVIDENCE_TOO_LARGE = "EVIDENCE_TOO_LARGE", 413, "证据文件不能超过 10 MB"
    TEXT_REQUIRED = "TEXT_REQUIRED", 422, "请填写内容"


class CaseError(DomainError):
    code = IntegrityCode.CASE_INVALID
    status = 422
