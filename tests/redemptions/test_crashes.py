"""Processes that die between the steps of a sale or a return (issue 12, "done when").

A real child process (tests/redemptions/crash_child.py) runs the till's or tick's code on the
test database (SQLite file or PostgreSQL) and ``os._exit``s at a named step, leaving the
database and the sandbox provider's book as a ``kill -9`` would. Afterwards ``tick`` and
``reconcile`` must leave every charge matched, no refund pending, no money stranded."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum

from huiquan.cli import main as cli
from huiquan.core.faults import CRASH_EXIT
from huiquan.ledger.models import Account, AccountKind
from huiquan.reconcile import reconcile
from huiquan.redemptions.models import (
    AutoRefund,
    GoodsReturn,
    Redemption,
    RedemptionState,
    SandboxPayment,
)
from tests.merchant_fixtures import aircon, redeem_at
from tests.processes import PYTHON, ROOT, child_env
from tests.redemptions.test_payment_faults import money_kept_without_a_sale, price_paying

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def dies_at(step: str, tmp_path: Path, *args: Any) -> None:
    """Run the child until it dies at ``step`` (and check that it did die there)."""
    done = subprocess.run([PYTHON, "-m", "tests.redemptions.crash_child", *map(str, args)],
                          env=child_env(tmp_path, HUIQUAN_TEST_CRASH_AT=step), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == CRASH_EXIT, (done.returncode, done.stderr[-2000:])


def settled(campaign: Any) -> None:
    """``huiquan tick``, then ``huiquan reconcile``: nothing left pending or stranded."""
    assert cli(["tick"]) == 0
    rec = reconcile(campaign)
    assert rec.ok, rec.table()
    assert not Redemption.objects.filter(state=RedemptionState.PENDING).exists()
    assert not GoodsReturn.objects.filter(refund_state__in=("pending", "failed")).exists()
    assert not AutoRefund.objects.exclude(refund_state="done").exists()
    assert money_kept_without_a_sale() == []
    reserved = Account.objects.filter(kind=AccountKind.RESERVED).aggregate(s=Sum("balance_fen"))
    assert not reserved["s"]


@pytest.fixture
def till(shop, holder, tmp_path):  # type: ignore[no-untyped-def]
    person = holder()

    def sale(step: str, price: int = 500_000) -> Redemption:
        dies_at(step, tmp_path, "sale", shop.till_user.pk, person.voucher.pk, price)
        return Redemption.objects.get(voucher=person.voucher)

    sale.person = person  # type: ignore[attr-defined]
    return sale


def test_dying_after_the_reservation_commits(till, campaign, clock):  # type: ignore[no-untyped-def]
    sale = till("sale.reserved")
    assert sale.state == RedemptionState.PENDING
    assert not SandboxPayment.objects.exists()  # the charge was never asked for
    clock.advance(minutes=3)
    settled(campaign)
    sale.refresh_from_db()
    assert (sale.state, sale.failure_code) == (RedemptionState.FAILED, "PAYMENT_CANCELLED")
    till.person.voucher.refresh_from_db()
    assert till.person.voucher.used_at is None  # still usable


def test_dying_after_the_charge_before_applying_it(till, campaign, clock):  # type: ignore[no-untyped-def]
    sale = till("sale.charged")
    assert sale.state == RedemptionState.PENDING
    assert SandboxPayment.objects.get(key=sale.payment_key).state == "succeeded"
    settled(campaign)  # at once: the provider knows how it ended
    sale.refresh_from_db()
    assert sale.state == RedemptionState.COMPLETED


def test_dying_after_a_late_charge_that_then_succeeds_despite_the_cancel(till, campaign, clock):  # type: ignore[no-untyped-def]
    sale = till("sale.charged", price_paying(66))
    clock.advance(minutes=3)
    settled(campaign)  # cancelled at the provider
    clock.advance(minutes=3)
    settled(campaign)  # …and paid back when the money came anyway
    assert AutoRefund.objects.get(redemption=sale).refund_state == "done"


def test_dying_after_applying_the_payment(till, campaign):  # type: ignore[no-untyped-def]
    sale = till("sale.applied")
    assert sale.state == RedemptionState.COMPLETED
    settled(campaign)


def test_tick_dying_between_the_providers_answer_and_applying_it(shop, holder, campaign,  # type: ignore[no-untyped-def]
                                                                 clock, tmp_path):
    sale = redeem_at(shop, holder().voucher, [aircon(price_paying(55))])
    assert sale.state == RedemptionState.PENDING
    clock.advance(minutes=3)
    dies_at("payment.answered", tmp_path, "tick")
    sale.refresh_from_db()
    assert sale.state == RedemptionState.PENDING
    settled(campaign)
    sale.refresh_from_db()
    assert sale.state == RedemptionState.COMPLETED


def test_tick_dying_after_recording_an_automatic_refund(shop, holder, campaign, clock,  # type: ignore[no-untyped-def]
                                                        tmp_path):
    sale = redeem_at(shop, holder().voucher, [aircon(price_paying(66))])
    clock.advance(minutes=3)
    settled(campaign)  # cancelled
    clock.advance(minutes=3)  # the money comes all the same
    dies_at("autorefund.recorded", tmp_path, "tick")
    assert AutoRefund.objects.get(redemption=sale).refund_state == "pending"
    assert not SandboxPayment.objects.filter(kind="refund").exists()
    clock.advance(minutes=2)
    settled(campaign)
    assert SandboxPayment.objects.filter(kind="refund").count() == 1


@pytest.fixture
def completed(shop, holder):  # type: ignore[no-untyped-def]
    sale = redeem_at(shop, holder().voucher, [aircon()])
    sale.shop = shop
    return sale


def test_dying_after_the_return_commits_before_the_refund(completed, campaign, clock,  # type: ignore[no-untyped-def]
                                                          tmp_path):
    dies_at("return.recorded", tmp_path, "return", completed.shop.till_user.pk, completed.pk)
    goods_return = GoodsReturn.objects.get()
    assert goods_return.refund_state == "pending"
    assert not SandboxPayment.objects.filter(kind="refund").exists()
    clock.advance(minutes=2)
    settled(campaign)
    assert SandboxPayment.objects.filter(kind="refund").count() == 1


def test_dying_after_the_refund_call_before_writing_it_down(completed, campaign, clock,  # type: ignore[no-untyped-def]
                                                            tmp_path):
    dies_at("refund.answered", tmp_path, "return", completed.shop.till_user.pk, completed.pk)
    assert GoodsReturn.objects.get().refund_state == "pending"
    assert SandboxPayment.objects.filter(kind="refund").count() == 1
    clock.advance(minutes=2)
    settled(campaign)
    assert SandboxPayment.objects.filter(kind="refund").count() == 1  # the same key: once
