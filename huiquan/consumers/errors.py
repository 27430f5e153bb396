from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode


class ConsumerCode(ErrorCode):
    """Codes of sign-in, real-name identity, personal data
    (code, HTTP status, default message; docs/api.md)."""

    ACCOUNT_DISABLED = "ACCOUNT_DISABLED", 403, "该账号已停用"
    ACCOUNT_HELD = "ACCOUNT_HELD", 409, "该账号与另一账号的实名信息重复，正在人工核查，请联系客服"
    ALREADY_VERIFIED = "ALREADY_VERIFIED", 409, "您已完成实名认证，如需更正请联系客服"
    CONSENT_REQUIRED = "CONSENT_REQUIRED", 422, "请先阅读并同意个人信息处理规则"
    ID_INVALID = "ID_INVALID", 422, "身份证号不正确"
    ID_TAKEN = "ID_TAKEN", 409, "该身份证号已在另一个账号实名：一人只能有一个账号"
    NAME_INVALID = "NAME_INVALID", 422, "姓名不正确"
    OTP_INVALID = "OTP_INVALID", 401, "验证码不正确"
    OTP_LOCKED = "OTP_LOCKED", 429, "当前网络输错验证码的次数过多，请稍后再试"
    PHONE_INVALID = "PHONE_INVALID", 422, "手机号格式不正确：请输入 11 位中国大陆手机号"
    PHONE_IS_CONSUMER = "PHONE_IS_CONSUMER", 409, "该手机号已注册为消费者账号：请用另一个手机号登记商户"
    RATE_LIMITED = "RATE_LIMITED", 429, "操作过于频繁：请稍后再试"
    SMS_FAILED = "SMS_FAILED", 503, "短信发送失败：请稍后再试"


class AuthError(DomainError):
    code = ConsumerCode.OTP_INVALID
    status = 401


class RateLimited(DomainError):
    code = ConsumerCode.RATE_LIMITED
    status = 429


class IdentityError(DomainError):
    code = ConsumerCode.ID_INVALID
    status = 422
