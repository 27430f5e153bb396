"""Sending text messages. The real gateway cannot be reached from here, so the product talks to
an ``SmsProvider``; the sandbox one keeps an outbox in the database and behaves like a gateway:
a configurable delay, refusals for invalid numbers, and idempotent sends."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from huiquan.consumers.errors import ConsumerCode
from huiquan.core import clock
from huiquan.core.errors import DomainError


class SmsFailed(DomainError):
    code = ConsumerCode.SMS_FAILED
    status = 503


@dataclass(frozen=True)
class SmsReceipt:
    message_id: str
    duplicate: bool


class SmsProvider(Protocol):
    """A county's gateway adapter implements this; production refuses a class whose ``sandbox``
    is not ``False`` (huiquan.core.startup)."""

    sandbox: bool

    def send(self, *, phone: str, body: str, idempotency_key: str) -> SmsReceipt: ...


class SandboxSmsProvider:
    """Outbox in the database; `huiquan sandbox sms PHONE` reads it. Numbers in the reserved
    test range 1700000xxxx fail the way an unreachable handset does."""

    sandbox = True

    def __init__(self, delay_seconds: float | None = None):
        self.delay = (settings.HUIQUAN_SANDBOX_SMS_DELAY if delay_seconds is None
                      else delay_seconds)

    def send(self, *, phone: str, body: str, idempotency_key: str) -> SmsReceipt:
        from huiquan.consumers.models import SmsMessage

        if self.delay:
            time.sleep(self.delay)  # a gateway's latency; 0 in tests
        if phone.startswith("1700000"):
            raise SmsFailed("短信发送失败：运营商未能送达该号码，请稍后重试")
        try:
            with transaction.atomic():
                msg = SmsMessage.objects.create(phone=phone, body=body,
                                                idempotency_key=idempotency_key,
                                                sent_at=clock.now())
        except IntegrityError:
            msg = SmsMessage.objects.get(idempotency_key=idempotency_key)
            return SmsReceipt(str(msg.pk), duplicate=True)
        return SmsReceipt(str(msg.pk), duplicate=False)


class NotConnectedSmsProvider:
    """Production before the county's SMS gateway is wired in: every send is refused with a clear
    message (sign-in by one-time code is then unavailable), nothing pretends to have been sent.
    The office (staff accounts, funds, releases) works meanwhile."""

    sandbox = False

    def send(self, *, phone: str, body: str, idempotency_key: str) -> SmsReceipt:
        raise SmsFailed("短信服务尚未接入，暂时无法发送验证码：请留意活动公告")


def provider() -> SmsProvider:
    cls = import_string(settings.HUIQUAN_SMS_PROVIDER)
    return cls()  # type: ignore[no-any-return]


def latest_sandbox_message(phone: str) -> str | None:
    from huiquan.consumers.models import SmsMessage

    msg = SmsMessage.objects.filter(phone=phone).order_by("-sent_at", "-pk").first()
    return msg.body if msg else None
