"""Sign-up and real name over the API (R-CLAIM-1)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from huiquan.consumers import privacy, selectors, services
from huiquan.consumers.auth import bearer
from huiquan.consumers.models import Consumer
from huiquan.core.api_io import errors
from huiquan.core.client_ip import client_ip
from huiquan.core.errors import PermissionRefused

router = Router(tags=["auth"])


# Lengths bound what the services read; the services themselves decide what a phone, a code, a
# name or an ID number is (their own codes: PHONE_INVALID, OTP_INVALID, ID_INVALID …).
class OtpIn(Schema):
    model_config = ConfigDict(strict=True)
    phone: str = Field(max_length=32)


class VerifyIn(Schema):
    model_config = ConfigDict(strict=True)
    phone: str = Field(max_length=32)
    code: str = Field(max_length=16)


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    role: str  # consumer | merchant
    verified: bool


class IdentityIn(Schema):
    model_config = ConfigDict(strict=True)
    name: str = Field(max_length=64)
    id_number: str = Field(max_length=64)
    # The version of the privacy notice (GET /privacy/identity-notice) the resident agreed to,
    # separately, before typing the number; missing or outdated: CONSENT_REQUIRED.
    privacy_consent: str | None = Field(default=None, max_length=32)


class IdentityOut(Schema):
    name: str
    id_masked: str
    warnings: list[str]


class Sent(Schema):
    sent: bool
    expires_in_seconds: int


class NoticeItemOut(Schema):
    heading: str
    text: str


class NoticeOut(Schema):
    version: str
    title: str
    items: list[NoticeItemOut]


def require_consumer(request: HttpRequest) -> Consumer:
    consumer = selectors.consumer_of(request.user)
    if consumer is None:
        raise PermissionRefused("只有消费者账号可以这样做")
    return consumer


@router.post("/auth/otp", response={200: Sent, **errors(429, 503, body=True)},
             summary="发送手机验证码")
def request_otp(request: HttpRequest, payload: OtpIn) -> Any:
    services.request_otp(phone=payload.phone, ip=client_ip(request))
    return {"sent": True, "expires_in_seconds": int(services.OTP_TTL.total_seconds())}


@router.post("/auth/verify", response={200: TokenOut, **errors(401, 409, 429, 503, body=True)},
             summary="校验验证码，返回令牌")
def verify(request: HttpRequest, payload: VerifyIn) -> Any:
    session = services.verify_otp(phone=payload.phone, code=payload.code, ip=client_ip(request))
    consumer = session.consumer
    return {"token": session.token, "role": session.user.role,
            "verified": consumer.is_verified if consumer is not None else True}


@router.post("/me/identity", response={200: IdentityOut, **errors(401, 403, 409, 503, body=True)},
             auth=bearer, summary="实名：姓名 + 身份证号")
def identity(request: HttpRequest, payload: IdentityIn) -> Any:
    consumer = require_consumer(request)
    services.submit_identity(consumer=consumer, real_name=payload.name,
                             id_number=payload.id_number,
                             privacy_consent=payload.privacy_consent, channel="api")
    consumer.refresh_from_db()
    # Notes about the number (an area code missing from stdnum's table) are for the staff who
    # check ID documents (consumers.selectors.id_notes), not for the resident's app.
    return {"name": consumer.real_name, "id_masked": consumer.id_masked, "warnings": []}


@router.get("/privacy/identity-notice", response=NoticeOut,
            summary="实名信息处理说明（提交身份证号前须单独同意）")
def identity_notice(request: HttpRequest) -> Any:
    return privacy.notice()
