"""Error codes of back-office accounts (docs/api.md)."""

from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode


class StaffCode(ErrorCode):
    """Codes of back-office accounts
    (code, HTTP status, default message; docs/api.md)."""

    ORGANISATION_INVALID = "ORGANISATION_INVALID", 422, "请填写单位（最多 64 个字）"
    ROLE_INVALID = "ROLE_INVALID", 422, "角色不正确"
    STAFF_DISABLED = "STAFF_DISABLED", 409, "账号已停用"
    STAFF_INVALID = "STAFF_INVALID", 422, "后台账号信息不正确"
    STAFF_NOT_FOUND = "STAFF_NOT_FOUND", 404, "没有这个后台账号"
    USERNAME_INVALID = "USERNAME_INVALID", 422, "用户名不正确"
    USERNAME_TAKEN = "USERNAME_TAKEN", 409, "用户名已被使用"


class StaffError(DomainError):
    code = StaffCode.STAFF_INVALID
    status = 422
