"""The sandbox acquirer behaves like the rails (issue 12): cancel by key, late successes,
idempotent refunds that never exceed the charge, and a statement that reading never changes."""

from __future__ import annotations

import pytest

from huiquan.redemptions.models import SandboxPayment
from huiquan.redemptions.payments import SandboxPaymentProvider

pytestmark = pytest.mark.django_db

rails = SandboxPaymentProvider(delay_seconds=0)


def test_a_key_cancelled_before_its_charge_arrives_refuses_the_charge():  # type: ignore[no-untyped-def]
    assert rails.cancel(key="pay-1").state == "cancelled"
    assert rails.charge(key="pay-1", amount_fen=10_000, description="").state == "cancelled"
    assert rails.status(key="pay-1").state == "cancelled"  # type: ignore[union-attr]
    assert [r.state for r in rails.records()] == ["cancelled"]


def test_a_late_charge_cancelled_in_time_never_succeeds(clock):  # type: ignore[no-untyped-def]
    assert rails.charge(key="pay-1", amount_fen=10_055, description="").state == "pending"
    assert rails.cancel(key="pay-1").state == "cancelled"
    clock.advance(minutes=10)
    assert rails.status(key="pay-1").state == "cancelled"  # type: ignore[union-attr]


def test_a_cancel_after_the_charge_went_through_is_too_late(clock):  # type: ignore[no-untyped-def]
    rails.charge(key="pay-1", amount_fen=10_055, description="")
    clock.advance(minutes=1)
    assert rails.cancel(key="pay-1").state == "succeeded"
    rails.charge(key="pay-2", amount_fen=10_000, description="")
    assert rails.cancel(key="pay-2").state == "succeeded"


def test_a_66_charge_is_taken_after_its_cancel(clock):  # type: ignore[no-untyped-def]
    rails.charge(key="pay-1", amount_fen=10_066, description="")
    clock.advance(minutes=3)
    assert rails.status(key="pay-1").state == "pending"  # type: ignore[union-attr]
    assert rails.cancel(key="pay-1").state == "cancelled"
    clock.advance(minutes=3)
    assert rails.status(key="pay-1").state == "succeeded"  # type: ignore[union-attr]
    assert [(r.key, r.state) for r in rails.records()] == [("pay-1", "succeeded")]


def test_reading_the_book_writes_nothing(clock):  # type: ignore[no-untyped-def]
    rails.charge(key="pay-1", amount_fen=10_055, description="")
    clock.advance(minutes=2)
    assert rails.records()[0].state == "succeeded"
    assert rails.status(key="pay-1").state == "succeeded"  # type: ignore[union-attr]
    assert SandboxPayment.objects.get().state == "pending"  # as written at the charge


def test_refunds_are_idempotent_and_never_exceed_the_charge():  # type: ignore[no-untyped-def]
    rails.charge(key="pay-1", amount_fen=10_000, description="")
    first = rails.refund(key="refund-1", charge_key="pay-1", amount_fen=6_000)
    again = rails.refund(key="refund-1", charge_key="pay-1", amount_fen=6_000)
    assert first.succeeded and again.reference == first.reference
    too_much = rails.refund(key="refund-2", charge_key="pay-1", amount_fen=4_001)
    assert (too_much.state, too_much.failure_code) == ("failed", "REFUND_EXCEEDS_CHARGE")
    assert rails.refund(key="refund-3", charge_key="pay-1", amount_fen=4_000).succeeded
    assert rails.refund(key="refund-4", charge_key="pay-9", amount_fen=1).failure_code == "NO_CHARGE"
    refunds = [r for r in rails.records() if r.kind == "refund"]
    assert [(r.key, r.charge_key, r.amount_fen) for r in refunds] == [
        ("refund-1", "pay-1", 6_000), ("refund-3", "pay-1", 4_000)]
