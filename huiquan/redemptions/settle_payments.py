"""Money going back to payers, whatever happened on the way (R-RET-1; invariant 5).

Two kinds of refund, one way of sending them:

- a goods return's refund (``GoodsReturn``, key ``refund-<return id>``), asked right after the
  return commits;
- an automatic refund (``AutoRefund``, key ``autorefund-<sale id>``): the provider took the
  payer's money for a sale the platform had already failed or cancelled — the success came late.
  It is recorded (with its audit entry) in the transaction that learns of the success, and sent
  right after it.

A refund is sent after its row is committed, never inside a transaction (STYLE.md), with a key
that is the same on every attempt, so asking again can never pay twice. A refund still pending a
minute after it was recorded (the process died before or during the call, or the provider did
not answer) or failed is sent again by ``huiquan tick`` (:func:`settle_refunds`). Tick also reads
the provider's statement for successes that came after a sale was given up
(:func:`pay_back_late_charges`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q

from huiquan.audit.services import record
from huiquan.core import clock, faults, sql
from huiquan.core.money import format_yuan
from huiquan.redemptions import payments
from huiquan.redemptions.models import AutoRefund, GoodsReturn, Redemption, RedemptionState

logger = logging.getLogger("huiquan.payments")

RETRY_AFTER = timedelta(minutes=1)  # a refund still pending this long is sent again
LATE_WINDOW = timedelta(days=7)  # how far back tick looks for successes that came late


def _send(model: Any, row_id: int, *, key: str, charge_key: str, amount_fen: int) -> str:
    """Ask the provider for one refund and write down its answer. Any failure to get an answer
    leaves the refund pending, for tick to ask again with the same key."""
    try:
        result = payments.provider().refund(key=key, charge_key=charge_key,
                                            amount_fen=amount_fen)
    except Exception:  # the rails did not answer: keep it pending
        logger.warning("refund %s: no answer from the payment provider", key, exc_info=True)
        return "pending"
    faults.crash_point("refund.answered")
    state = {"succeeded": "done", "failed": "failed"}.get(result.state, "pending")
    model.objects.filter(pk=row_id).exclude(refund_state="done").update(
        refund_state=state, refund_reference=result.reference[:64])
    if state == "failed":
        logger.warning("refund %s refused: %s %s", key, result.failure_code, result.message)
    return state


def refund_return(goods_return: GoodsReturn) -> str:
    """Pay a goods return's refund (the price of the returned goods less the subsidy)."""
    return _send(GoodsReturn, goods_return.pk, key=f"refund-{goods_return.pk}",
                 charge_key=goods_return.redemption.payment_key,
                 amount_fen=goods_return.refund_fen)


def record_auto_refund(*, redemption: Redemption, amount_fen: int,
                       charge_reference: str) -> AutoRefund:
    """Inside the caller's transaction, with the failed sale's row locked: the payer's money
    that arrived late is owed back in full. Recorded once per sale, with its audit entry."""
    existing = AutoRefund.objects.filter(redemption_id=redemption.pk).first()
    if existing is not None:
        return existing
    auto = AutoRefund.objects.create(redemption=redemption, created_at=clock.now(),
                                     amount_fen=amount_fen,
                                     charge_reference=(charge_reference or "")[:64])
    record(actor=None, action="redemption.auto_refund", obj_type="redemption",
           obj_id=redemption.pk,
           summary=f"核销 #{redemption.pk} 已撤销/失败后通道扣款成功 {format_yuan(amount_fen)} 元："
           "自动原路退还顾客",
           after={"auto_refund": auto.pk, "amount_fen": amount_fen,
                  "charge_reference": auto.charge_reference,
                  "failure_code": redemption.failure_code})
    return auto


def send_auto_refund(redemption_id: int) -> str | None:
    """Send the sale's automatic refund unless it is already done (None: there is none)."""
    auto = AutoRefund.objects.select_related("redemption").filter(
        redemption_id=redemption_id).first()
    if auto is None:
        return None
    if auto.refund_state == "done":
        return "done"
    faults.crash_point("autorefund.recorded")
    return _send(AutoRefund, auto.pk, key=auto.key, charge_key=auto.redemption.payment_key,
                 amount_fen=auto.amount_fen)


@transaction.atomic(durable=True)
def _owe_late_charge(*, redemption_id: int, charge: payments.ProviderRecord) -> bool:
    rows = sql.load(Redemption, "id = %s", [redemption_id], lock=True)
    if not rows or rows[0].state != RedemptionState.FAILED:
        return False  # pending: check_payment finishes it; completed: the charge is its own
    record_auto_refund(redemption=rows[0], amount_fen=charge.amount_fen,
                       charge_reference=charge.reference)
    return True


def pay_back_late_charges() -> int:
    """Successes the provider's statement shows for sales failed or cancelled in the last
    ``LATE_WINDOW`` (and not yet paid back) are paid back. Asks the provider only when there is
    such a sale."""
    since = clock.now() - LATE_WINDOW
    failed = dict(Redemption.objects.filter(state=RedemptionState.FAILED, created_at__gte=since,
                                            auto_refund__isnull=True)
                  .values_list("payment_key", "pk"))
    if not failed:
        return 0
    done = 0
    for charge in payments.provider().records(since=since - timedelta(days=1)):
        if charge.kind == "charge" and charge.state == "succeeded" and charge.key in failed:
            if _owe_late_charge(redemption_id=failed[charge.key], charge=charge):
                send_auto_refund(failed[charge.key])
                done += 1
    return done


def _due(model: Any) -> Any:
    return model.objects.filter(Q(refund_state="failed") | Q(
        refund_state="pending", created_at__lte=clock.now() - RETRY_AFTER))


def settle_refunds() -> int:
    """For ``huiquan tick``: late successes paid back; refunds left pending past a minute, or
    failed, sent again (same keys). One that fails is logged; the others still go."""
    done = 0
    try:
        done += pay_back_late_charges()
    except Exception:
        logger.exception("tick: reading the payment provider's statement failed")
    for goods_return in _due(GoodsReturn).select_related("redemption").order_by("pk"):
        try:
            done += refund_return(goods_return) == "done"
        except Exception:
            logger.exception("tick: refund of return %s failed", goods_return.pk)
    for redemption_id in _due(AutoRefund).order_by("pk").values_list("redemption_id", flat=True):
        try:
            done += send_auto_refund(redemption_id) == "done"
        except Exception:
            logger.exception("tick: automatic refund of sale %s failed", redemption_id)
    return done
