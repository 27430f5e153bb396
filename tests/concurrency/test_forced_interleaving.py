"""Forced interleaving (ARCHITECTURE.md): pause one writer between its balance check and its
write, let a second writer try the same pool meanwhile — the invariant still holds because the
second one cannot read until the first has written."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from huiquan.campaigns.selectors import funding_sources
from huiquan.ledger import services as ledger
from huiquan.ledger.errors import InsufficientFunds
from huiquan.ledger.models import AccountKind, TxKind
from huiquan.ledger.scopes import Scope
from huiquan.reconcile import reconcile

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_a_second_writer_waits_for_the_paused_first_and_then_sees_its_write(campaign):
    period = campaign.periods.get(number=1)
    paused, go = threading.Event(), threading.Event()
    first_caller = threading.Lock()
    outcomes: dict[str, object] = {}

    def hook():
        if first_caller.acquire(blocking=False):  # only the first writer pauses
            paused.set()
            assert go.wait(timeout=30)

    def move(name):
        try:
            with transaction.atomic():
                ledger.transfer(campaign=campaign, kind=TxKind.FUND_PERIOD,
                                source_scope=Scope(AccountKind.CAMPAIGN_POOL),
                                dest_scope=Scope(AccountKind.PERIOD_POOL, period=period),
                                amount=200_000_00, sources=funding_sources(campaign))
            outcomes[name] = "ok"
        except InsufficientFunds as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    ledger._between_check_and_write = hook
    try:
        a = threading.Thread(target=move, args=("a",))
        a.start()
        assert paused.wait(timeout=30)
        b = threading.Thread(target=move, args=("b",))
        b.start()
        b.join(timeout=0.5)
        assert b.is_alive(), "the second writer read the pool while the first was mid-write"
        go.set()
        a.join(timeout=60)
        b.join(timeout=60)
    finally:
        ledger._between_check_and_write = None
    assert outcomes["a"] == "ok"
    assert isinstance(outcomes["b"], InsufficientFunds)  # 240,000 held, 200,000 taken by "a"
    assert reconcile(campaign).ok
