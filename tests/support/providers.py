"""Stand-ins for a county's own SMS gateway and acquirer adapters: real (``sandbox = False``)
classes named by setting, living outside huiquan/, as a county's would. Used by the test that
starts `huiquan serve` in production mode (tests/core/test_production_start.py)."""

from __future__ import annotations

from huiquan.consumers.sms import SmsReceipt
from huiquan.redemptions.payments import PaymentResult


class StandInSmsGateway:
    sandbox = False

    def send(self, *, phone: str, body: str, idempotency_key: str) -> SmsReceipt:
        return SmsReceipt(message_id=idempotency_key, duplicate=False)


class StandInAcquirer:
    name = "stand-in acquirer"
    sandbox = False

    def charge(self, *, key: str, amount_fen: int, description: str) -> PaymentResult:
        return PaymentResult("succeeded", reference=f"STAND-IN-{key}")

    def status(self, *, key: str) -> PaymentResult | None:
        return None

    def refund(self, *, key: str, charge_key: str, amount_fen: int) -> PaymentResult:
        return PaymentResult("succeeded", reference=f"STAND-IN-{key}")


class ForgotToSayWhatItIs:
    """No ``sandbox`` attribute: production must refuse it (it might be a fake)."""

    def send(self, *, phone: str, body: str, idempotency_key: str) -> SmsReceipt:
        return SmsReceipt(message_id=idempotency_key, duplicate=False)
