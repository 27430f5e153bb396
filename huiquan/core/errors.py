"""Domain errors: a stable code for machines, a Chinese message for people (invariant 8)."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a user can understand. Codes are API contract (docs/api.md)."""

    code: str = "INVALID"
    status: int = 422

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class PermissionRefused(DomainError):
    code = "FORBIDDEN"
    status = 403


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409


class Busy(DomainError):
    """A lock could not be had in time; the caller may try again."""

    code = "BUSY"
    status = 503
