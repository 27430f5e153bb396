"""Domain errors: a stable code for machines, a Chinese message for people (invariant 8).

Every code is a member of its app's enum in ``<app>/errors.py`` (a subclass of ``ErrorCode``):
the code's string (API contract, docs/api.md), the HTTP status it is answered with and a default
Chinese message. A raise names the member; it may pass a more specific message (and, where one
code is answered with two statuses, the status). tests/architecture/test_error_codes.py keeps
the enums, the raise sites and docs/api.md in step."""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    """An app's error codes: ``NAME = "NAME", status, "默认说明"``. A member is its code string."""

    status: int
    message: str

    def __new__(cls, code: str, status: int, message: str) -> ErrorCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.status = status
        member.message = message
        return member


class CoreCode(ErrorCode):
    """Codes of the platform itself: the API's edge, roles, locks, shared input checks."""

    INVALID = "INVALID", 422, "无法完成"
    UNAUTHENTICATED = "UNAUTHENTICATED", 401, "请先登录（令牌无效或已过期）"
    BODY_TOO_LARGE = "BODY_TOO_LARGE", 413, "请求内容过大"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED", 405, "该接口不支持这种请求方法"
    SERVER_ERROR = "SERVER_ERROR", 500, "服务器内部错误：已记录，请稍后再试"
    HTTP_ERROR = "HTTP_ERROR", 400, "请求无法处理"
    INVALID_INPUT = "INVALID_INPUT", 422, "请求内容不正确"
    TEXT_INVALID = "TEXT_INVALID", 422, "含有无法保存的字符（空字符或残缺的 Unicode 字符）"
    FORBIDDEN = "FORBIDDEN", 403, "没有权限"
    READ_ONLY = "READ_ONLY", 403, "审计角色为只读：可以查看一切，不能做任何修改。"
    NOT_FOUND = "NOT_FOUND", 404, "找不到"
    CONFLICT = "CONFLICT", 409, "与当前状态冲突"
    BUSY = "BUSY", 503, "系统繁忙：请稍后再试"
    FILE_INVALID = "FILE_INVALID", 422, "文件无法读取"
    LOCATION_REQUIRED = "LOCATION_REQUIRED", 422, "没有获取到您的位置：请允许定位后再领取"
    LOCATION_INVALID = "LOCATION_INVALID", 422, "位置信息不正确"


class DomainError(Exception):
    """A refusal a user can understand. Codes are API contract (docs/api.md).

    ``code``: a member of an app's ``ErrorCode`` enum; without a message, the member's; without
    a status, the class's (which equals the member's: the tests check every raise site)."""

    code: str = CoreCode.INVALID
    status: int = 422

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 status: int | None = None):
        if code is not None:
            self.code = code
        if message is None:
            message = getattr(self.code, "message", None) or str(self.code)
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, str]:
        return {"code": str(self.code), "message": self.message}


class PermissionRefused(DomainError):
    code = CoreCode.FORBIDDEN
    status = 403


class NotFound(DomainError):
    code = CoreCode.NOT_FOUND
    status = 404


class Conflict(DomainError):
    code = CoreCode.CONFLICT
    status = 409


class Busy(DomainError):
    """A lock could not be had in time; the caller may try again."""

    code = CoreCode.BUSY
    status = 503
