"""Paying the consumer's share (the price less the subsidy) at the till.

The bank's payment rails cannot be reached from here, so the till talks to a
``PaymentProvider``. The sandbox one keeps its own book and behaves like a real acquirer:
latency, declines, timeouts whose outcome is only known later, charges that succeed after the
till gave up on them, and idempotency keys (the same key never charges or refunds twice; the same
key with another amount is refused). A charge is *cancelled* by its key before a sale is given
up (撤销): the provider then refuses that key for good, or answers that the charge already
succeeded. Its ``records`` are the provider's own statement (对账单), which ``huiquan reconcile``
and ``huiquan tick`` hold the platform's sales and refunds against.

Sandbox test amounts (like a card network's test cards), by the last two digits in fen:
  …44  declined: the payer's balance is short (余额不足)
  …55  no answer in time: the charge stays pending and succeeds a minute later (a cancel within
       that minute stops it)
  …66  no answer in time, and a cancel does not stop it: the charge is reported cancelled, yet
       succeeds five minutes after it was made (the platform must pay it back by itself)
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils.module_loading import import_string

from huiquan.core import clock, sql
from huiquan.redemptions.errors import PaymentCancelled, PaymentError, RedemptionCode  # noqa: F401 - re-exported: payments.PaymentError


@dataclass(frozen=True)
class PaymentResult:
    state: str  # succeeded | failed | pending | cancelled
    reference: str = ""
    failure_code: str = ""
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.state == "succeeded"


@dataclass(frozen=True)
class ProviderRecord:
    """One line of the provider's own statement."""

    key: str
    kind: str  # charge | refund
    amount_fen: int
    state: str  # succeeded | failed | pending | cancelled
    reference: str
    charge_key: str  # a refund's charge
    created_at: datetime


class PaymentProvider(Protocol):
    name: str
    sandbox: bool

    def charge(self, *, key: str, amount_fen: int, description: str) -> PaymentResult: ...

    def status(self, *, key: str) -> PaymentResult | None:
        """How the charge with this key stands; None when the provider never saw it."""

    def cancel(self, *, key: str) -> PaymentResult:
        """Close the charge with this key for good (a charge arriving later with it is refused).
        Answers how the charge really ended: ``cancelled`` (no money taken), ``succeeded``
        (too late: it went through), ``failed``, or ``pending`` (could not be closed now)."""

    def refund(self, *, key: str, charge_key: str, amount_fen: int) -> PaymentResult: ...

    def records(self, *, since: datetime | None = None) -> list[ProviderRecord]:
        """Every charge and refund made since then (all of them without ``since``)."""


PENDING_FOR = timedelta(minutes=1)  # …55
LATE_FOR = timedelta(minutes=5)  # …66


class SandboxPaymentProvider:
    name = "沙箱支付（模拟建行收单）"
    sandbox = True

    def __init__(self, delay_seconds: float | None = None):
        self.delay = (settings.HUIQUAN_SANDBOX_PAY_DELAY if delay_seconds is None
                      else delay_seconds)

    @staticmethod
    def _insert(**fields: Any) -> Any:
        """The new row, or None when the key is already in the book."""
        from huiquan.redemptions.models import SandboxPayment

        now = clock.now()
        row = SandboxPayment(reference=f"SBX{now:%Y%m%d}{secrets.token_hex(6).upper()}",
                             created_at=now, **fields)
        # A key already in the book inserts nothing. One statement: on PostgreSQL it commits
        # by itself; SQLite's writers queue on the write lock of a BEGIN IMMEDIATE (core.sqlite).
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            with transaction.atomic():
                inserted = sql.insert_unless_taken(row)
        else:
            inserted = sql.insert_unless_taken(row)
        return row if inserted else None

    def _book(self, *, key: str, kind: str, amount_fen: int, state: str, failure_code: str = "",
              message: str = "", charge_key: str = "",
              settles_at: datetime | None = None) -> PaymentResult:
        from huiquan.redemptions.models import SandboxPayment

        row = self._insert(key=key, kind=kind, amount_fen=amount_fen, state=state,
                           failure_code=failure_code, message=message, charge_key=charge_key,
                           settles_at=settles_at)
        if row is None:
            row = SandboxPayment.objects.get(key=key)
            if row.kind == "charge" and row.state == "cancelled" and kind == "charge":
                return self._result(row)  # the key was closed: this charge is refused
            if row.amount_fen != amount_fen or row.kind != kind:
                return PaymentResult("failed", row.reference, "IDEMPOTENCY_MISMATCH",
                                     "同一支付请求号的金额不一致，已拒绝")
        return self._result(row)

    @staticmethod
    def _state(row: Any) -> str:
        """A charge whose time has come has succeeded (a pending one, a cancelled …66 one),
        whether or not its row was written since: reading the book never writes to it."""
        if row.settles_at is not None and row.settles_at <= clock.now():
            return "succeeded"
        return str(row.state)

    def _result(self, row: Any) -> PaymentResult:
        state = self._state(row)
        if state != row.state:
            return PaymentResult(state, row.reference)
        return PaymentResult(row.state, row.reference, row.failure_code, row.message)

    @staticmethod
    def _settle_due(key: str) -> None:
        """Before a write: the charge's time has come, so write it down as succeeded."""
        from huiquan.redemptions.models import SandboxPayment

        SandboxPayment.objects.filter(key=key, state__in=("pending", "cancelled"),
                                      settles_at__lte=clock.now()).update(
            state="succeeded", failure_code="", message="", settles_at=None)

    def charge(self, *, key: str, amount_fen: int, description: str) -> PaymentResult:
        if self.delay:
            time.sleep(self.delay)  # the acquirer's latency; 0 in tests
        if amount_fen % 100 == 44:
            return self._book(key=key, kind="charge", amount_fen=amount_fen, state="failed",
                              failure_code="INSUFFICIENT_BALANCE",
                              message="付款方账户余额不足，支付未成功")
        late = {55: PENDING_FOR, 66: LATE_FOR}.get(amount_fen % 100)
        if late is not None:
            return self._book(key=key, kind="charge", amount_fen=amount_fen, state="pending",
                              message="支付结果未返回，请稍后查询",
                              settles_at=clock.now() + late)
        return self._book(key=key, kind="charge", amount_fen=amount_fen, state="succeeded")

    def status(self, *, key: str) -> PaymentResult | None:
        from huiquan.redemptions.models import SandboxPayment

        row = SandboxPayment.objects.filter(key=key).first()
        return None if row is None else self._result(row)

    def cancel(self, *, key: str) -> PaymentResult:
        from huiquan.redemptions.models import SandboxPayment

        if self.delay:
            time.sleep(self.delay)
        self._settle_due(key)
        # A key the acquirer never saw is closed with an empty record, so that the charge, if
        # it is still on its way, is refused when it arrives.
        tombstone = self._insert(key=key, kind="charge", amount_fen=0, state="cancelled",
                                 failure_code="PAYMENT_CANCELLED",
                                 message="支付已撤销：通道未收到这笔付款")
        if tombstone is not None:
            return self._result(tombstone)
        row = SandboxPayment.objects.get(key=key)
        if row.kind == "charge" and row.state == "pending":
            # …66: the cancel is acknowledged, but the charge still goes through later.
            keeps_going = row.amount_fen % 100 == 66
            SandboxPayment.objects.filter(pk=row.pk, state="pending").update(
                state="cancelled", failure_code="PAYMENT_CANCELLED", message="支付已撤销",
                settles_at=row.settles_at if keeps_going else None)
            row.refresh_from_db()
        return self._result(row)

    def refund(self, *, key: str, charge_key: str, amount_fen: int) -> PaymentResult:
        from huiquan.redemptions.models import SandboxPayment

        if self.delay:
            time.sleep(self.delay)
        self._settle_due(charge_key)
        earlier = SandboxPayment.objects.filter(key=key, kind="refund").first()
        if earlier is not None:  # the same refund asked again: the same answer
            return self._book(key=key, kind="refund", amount_fen=amount_fen, state="succeeded",
                              charge_key=charge_key)
        charge = SandboxPayment.objects.filter(key=charge_key, kind="charge",
                                               state="succeeded").first()
        if charge is None:
            return PaymentResult("failed", "", "NO_CHARGE", "找不到原支付，无法原路退款")
        refunded = SandboxPayment.objects.filter(
            Q(kind="refund", charge_key=charge_key, state="succeeded")).aggregate(
            s=Sum("amount_fen"))["s"] or 0
        if refunded + amount_fen > charge.amount_fen:
            return PaymentResult("failed", "", "REFUND_EXCEEDS_CHARGE",
                                 "退款金额超过原支付未退部分，已拒绝")
        return self._book(key=key, kind="refund", amount_fen=amount_fen, state="succeeded",
                          charge_key=charge_key)

    def records(self, *, since: datetime | None = None) -> list[ProviderRecord]:
        from huiquan.redemptions.models import SandboxPayment

        rows = SandboxPayment.objects.order_by("pk")
        if since is not None:
            rows = rows.filter(created_at__gte=since)
        return [ProviderRecord(key=r.key, kind=r.kind, amount_fen=r.amount_fen,
                               state=self._state(r),
                               reference=r.reference, charge_key=r.charge_key,
                               created_at=r.created_at) for r in rows]


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
