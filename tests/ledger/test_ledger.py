"""Invariant 3: double entry in integer fen; no pool below zero; reconcile sees tampering."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from huiquan.campaigns.selectors import funding_sources
from huiquan.cli import main as cli
from huiquan.ledger.errors import AlreadyPosted, InsufficientFunds, LedgerError
from huiquan.ledger.models import Account, AccountKind, LedgerTransaction, Posting, TxKind
from huiquan.ledger.scopes import Scope
from huiquan.ledger.services import account_for, post, transfer
from huiquan.reconcile import reconcile

pytestmark = pytest.mark.django_db
POOL = Scope(AccountKind.CAMPAIGN_POOL)


def _accounts(campaign):
    county = campaign.funding_sources.get(code="county")
    pool = account_for(campaign=campaign, scope=POOL, source=county)
    period = account_for(campaign=campaign, scope=Scope(AccountKind.PERIOD_POOL,
                                                        period=campaign.periods.first()),
                         source=county)
    return pool, period


def _snapshot():
    return (LedgerTransaction.objects.count(), Posting.objects.count(),
            sorted(Account.objects.values_list("code", "balance_fen")))


@pytest.mark.parametrize("lines_factory, error", [
    (lambda p, q: [(p, -100), (q, 99)], "借贷不平衡"),
    (lambda p, q: [(p, -1.5), (q, 1.5)], "整数"),
    (lambda p, q: [(p, Decimal(-1)), (q, Decimal(1))], "整数"),
    (lambda p, q: [(p, True), (q, -1)], "整数"),
    (lambda p, q: [(p, 0), (q, 0)], "没有任何金额"),
])
def test_bad_posting_sets_are_refused_and_write_nothing(campaign, lines_factory, error):
    pool, period = _accounts(campaign)
    before = _snapshot()
    with pytest.raises(LedgerError) as refused, transaction.atomic():
        post(campaign=campaign, kind=TxKind.FUND_PERIOD, lines=lines_factory(pool, period))
    assert error in refused.value.message
    assert _snapshot() == before


def test_a_pool_can_never_go_below_zero(campaign):
    pool, period = _accounts(campaign)
    assert pool.balance_fen == 240_000_00
    before = _snapshot()
    with pytest.raises(InsufficientFunds), transaction.atomic():
        post(campaign=campaign, kind=TxKind.FUND_PERIOD,
             lines=[(pool, -240_000_01), (period, 240_000_01)])
    assert _snapshot() == before
    with pytest.raises(InsufficientFunds), transaction.atomic():
        transfer(campaign=campaign, kind=TxKind.FUND_PERIOD, source_scope=POOL,
                 dest_scope=Scope(AccountKind.PERIOD_POOL, period=campaign.periods.first()),
                 amount=240_000_01, sources=funding_sources(campaign))
    assert _snapshot() == before


def test_the_database_itself_refuses_a_negative_pool(campaign):
    """Defence in depth: even a raw UPDATE cannot make a pool negative."""
    from django.db import IntegrityError

    pool, _ = _accounts(campaign)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=pool.pk).update(balance_fen=-1)


def test_a_dedupe_key_books_a_transition_once(campaign):
    pool, period = _accounts(campaign)
    with transaction.atomic():
        post(campaign=campaign, kind=TxKind.FUND_PERIOD, lines=[(pool, -5), (period, 5)],
             dedupe_key="once")
    before = _snapshot()
    with pytest.raises(AlreadyPosted), transaction.atomic():
        post(campaign=campaign, kind=TxKind.FUND_PERIOD, lines=[(pool, -5), (period, 5)],
             dedupe_key="once")
    assert _snapshot() == before


def test_money_is_drawn_county_first_and_stays_traceable(campaign, finance):
    """R-FUND-1, R-SET-3: a movement is split per funding source, county first."""
    from huiquan.campaigns.services import receive_funds

    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000_00,
                  reference="x", actor=finance)
    dest = Scope(AccountKind.PERIOD_POOL, period=campaign.periods.first())
    with transaction.atomic():
        tx = transfer(campaign=campaign, kind=TxKind.FUND_PERIOD, source_scope=POOL,
                      dest_scope=dest, amount=300_000_00, sources=funding_sources(campaign))
    by_source = {p.account.source.code: p.amount_fen
                 for p in tx.postings.select_related("account__source") if p.amount_fen > 0}
    assert by_source == {"county": 240_000_00, "city": 60_000_00}
    assert reconcile(campaign).ok


def test_reconcile_catches_a_hand_edited_balance(campaign):
    pool, _ = _accounts(campaign)
    Account.objects.filter(pk=pool.pk).update(balance_fen=pool.balance_fen + 1)
    rec = reconcile(campaign)
    assert not rec.ok
    failed = {c.name for c in rec.checks if not c.ok}
    assert "账户余额 = 分录合计" in failed and "资金来源 = 去向 + 余额" in failed
    assert cli(["reconcile"]) == 1


def test_reconcile_catches_an_unbalanced_transaction_inserted_by_hand(campaign):
    pool, _ = _accounts(campaign)
    tx = LedgerTransaction.objects.first()
    with connection.cursor() as cur:
        cur.execute("INSERT INTO ledger_posting (transaction_id, account_id, amount_fen) "
                    "VALUES (%s, %s, %s)", [tx.pk, pool.pk, 7])
    rec = reconcile(campaign)
    assert {c.name for c in rec.checks if not c.ok} >= {"每笔交易借贷平衡"}


def test_reconcile_is_green_on_a_fresh_campaign_and_the_cli_says_so(campaign, capsys):
    assert reconcile(campaign).ok
    assert cli(["reconcile"]) == 0
    assert "对账通过" in capsys.readouterr().out
