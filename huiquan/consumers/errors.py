from __future__ import annotations

from huiquan.core.errors import DomainError


class AuthError(DomainError):
    code = "OTP_INVALID"
    status = 401


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    status = 429


class IdentityError(DomainError):
    code = "ID_INVALID"
    status = 422
