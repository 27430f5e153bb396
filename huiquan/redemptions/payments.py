"""Paying the consumer's share (the price less the subsidy) at the till.

The bank's payment rails cannot be reached from here, so the till talks to a
``PaymentProvider``. The sandbox one keeps its own book and behaves like a real acquirer:
latency, declines, timeouts whose outcome is only known later, and idempotency keys (the same
key never charges twice; the same key with another amount is refused).

Sandbox test amounts (like a card network's test cards), by the last two digits in fen:
  …44  declined: the payer's balance is short (余额不足)
  …55  no answer in time: the charge stays pending and succeeds when queried a minute later
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from huiquan.core import clock, sql
from huiquan.core.errors import DomainError


class PaymentError(DomainError):
    code = "PAYMENT_FAILED"
    status = 402


@dataclass(frozen=True)
class PaymentResult:
    state: str  # succeeded | failed | pending
    reference: str = ""
    failure_code: str = ""
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.state == "succeeded"


class PaymentProvider(Protocol):
    name: str
    sandbox: bool

    def charge(self, *, key: str, amount_fen: int, description: str) -> PaymentResult: ...

    def status(self, *, key: str) -> PaymentResult | None: ...

    def refund(self, *, key: str, charge_key: str, amount_fen: int) -> PaymentResult: ...


PENDING_FOR = timedelta(minutes=1)


class SandboxPaymentProvider:
    name = "沙箱支付（模拟建行收单）"
    sandbox = True

    def __init__(self, delay_seconds: float | None = None):
        self.delay = (settings.HUIQUAN_SANDBOX_PAY_DELAY if delay_seconds is None
                      else delay_seconds)

    def _book(self, *, key: str, kind: str, amount_fen: int, state: str, failure_code: str = "",
              message: str = "") -> PaymentResult:
        from huiquan.redemptions.models import SandboxPayment

        now = clock.now()
        try:
            with transaction.atomic():
                row = SandboxPayment(
                    key=key, kind=kind, amount_fen=amount_fen, state=state,
                    failure_code=failure_code, message=message,
                    reference=f"SBX{now:%Y%m%d}{secrets.token_hex(6).upper()}", created_at=now,
                    settles_at=now + PENDING_FOR if state == "pending" else None)
                sql.insert([row])
        except IntegrityError:
            row = SandboxPayment.objects.get(key=key)
            if row.amount_fen != amount_fen or row.kind != kind:
                return PaymentResult("failed", row.reference, "IDEMPOTENCY_MISMATCH",
                                     "同一支付请求号的金额不一致，已拒绝")
        return self._result(row)

    @staticmethod
    def _result(row: object) -> PaymentResult:
        return PaymentResult(row.state, row.reference, row.failure_code,  # type: ignore[attr-defined]
                             row.message)  # type: ignore[attr-defined]

    def charge(self, *, key: str, amount_fen: int, description: str) -> PaymentResult:
        if self.delay:
            time.sleep(self.delay)  # the acquirer's latency; 0 in tests
        if amount_fen % 100 == 44:
            return self._book(key=key, kind="charge", amount_fen=amount_fen, state="failed",
                              failure_code="INSUFFICIENT_BALANCE",
                              message="付款方账户余额不足，支付未成功")
        if amount_fen % 100 == 55:
            return self._book(key=key, kind="charge", amount_fen=amount_fen, state="pending",
                              message="支付结果未返回，请稍后查询")
        return self._book(key=key, kind="charge", amount_fen=amount_fen, state="succeeded")

    def status(self, *, key: str) -> PaymentResult | None:
        from huiquan.redemptions.models import SandboxPayment

        row = SandboxPayment.objects.filter(key=key).first()
        if row is None:
            return None
        if row.state == "pending" and row.settles_at and clock.now() >= row.settles_at:
            SandboxPayment.objects.filter(pk=row.pk, state="pending").update(
                state="succeeded", message="")
            row.refresh_from_db()
        return self._result(row)

    def refund(self, *, key: str, charge_key: str, amount_fen: int) -> PaymentResult:
        from huiquan.redemptions.models import SandboxPayment

        if self.delay:
            time.sleep(self.delay)
        charge = SandboxPayment.objects.filter(key=charge_key, kind="charge",
                                               state="succeeded").first()
        if charge is None:
            return PaymentResult("failed", "", "NO_CHARGE", "找不到原支付，无法原路退款")
        return self._book(key=key, kind="refund", amount_fen=amount_fen, state="succeeded")


class NotConnectedPaymentProvider:
    """Production before the bank's acquirer is wired in: every charge and refund fails at once
    with a clear message, so the reservation is released and nothing is booked as paid."""

    name = "收单服务（尚未接入）"
    sandbox = False
    MESSAGE = "收单服务尚未接入，暂时无法收款"

    def charge(self, *, key: str, amount_fen: int, description: str) -> PaymentResult:
        return PaymentResult("failed", "", "PROVIDER_NOT_CONNECTED", self.MESSAGE)

    def status(self, *, key: str) -> PaymentResult | None:
        return None  # it never saw anything

    def refund(self, *, key: str, charge_key: str, amount_fen: int) -> PaymentResult:
        return PaymentResult("failed", "", "PROVIDER_NOT_CONNECTED", self.MESSAGE)


def provider() -> PaymentProvider:
    cls = import_string(settings.HUIQUAN_PAYMENT_PROVIDER)
    return cls()  # type: ignore[no-any-return]
