"""Settlement runs (R-SET-1..3, invariant 6): collect, approve, bank file, the bank's answer.

1. ``run_settlement`` — one transaction: the approved, unsettled sales (verification's
   ``approved_unsettled``) of every merchant that is not frozen; per merchant the sales are
   marked settled under their row locks (``redemptions.services.mark_settled``: each at most
   once), one ``SettlementLine`` per sale (unique per sale), open clawbacks netted, one
   ``Payout`` (the run's payable to that merchant) and one ledger transaction moving the sales'
   subsidy from the merchant's payable to paid out, by funding source as booked at the till
   (R-SET-3). Only one run is open (collected or approved) per campaign: an advisory lock, then
   a unique constraint; a second gets ``SETTLEMENT_RUNNING``.
2. ``approve_run`` — finance approves; not the person who collected it (four eyes).
3. ``export_run`` (bankfiles.py) — the bank file; later again for lines the bank sent back.
4. ``import_answer`` (bankfiles.py) — the bank's answer, paid or failed per line.

A crash anywhere inside a step leaves nothing of it (one transaction); a crash between steps
leaves the run at the last step done, and running the next step finishes it
(``faults.crash_point`` marks where the crash tests kill the process).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from huiquan.audit.services import record
from huiquan.campaigns.selectors import funding_sources
from huiquan.core import clock, faults, guards, sql
from huiquan.core.locks import advisory
from huiquan.core.money import format_yuan
from huiquan.core.roles import require_role
from huiquan.ledger.models import TxKind
from huiquan.ledger.scopes import paid_out, payable
from huiquan.ledger.services import accounts_for, post
from huiquan.merchants.settlement_reads import Payee, payees
from huiquan.redemptions.services import mark_settled, unmark_settled
from huiquan.redemptions.settlement_reads import SettledSale
from huiquan.settlement.clawbacks import FINANCE_ROLES, net_receivables, sync_receivables
from huiquan.settlement.errors import SettlementCode, SettlementError
from huiquan.settlement.models import (
    OPEN_STATES,
    Payout,
    PayoutState,
    RunState,
    SettlementLine,
    SettlementRun,
)
from huiquan.verification.selectors import approved_unsettled

# SQLite allows 32,766 parameters in a statement; a line has five.
LINES_PER_STATEMENT = 5000


def _running(campaign: Any) -> SettlementError:
    run = SettlementRun.objects.filter(campaign=campaign, state__in=OPEN_STATES).first()
    which = f"（第 {run.number} 批，{run.get_state_display()}）" if run else ""
    return SettlementError(f"另一个结算批次正在进行{which}：请先完成审核并出银行文件，或等它结束",
                           code=SettlementCode.SETTLEMENT_RUNNING)


def run_settlement(*, campaign: Any, actor: Any, note: str = "") -> SettlementRun:
    """Collect a settlement run now (per round, or on demand). See the module docstring."""
    run = _collect(campaign=campaign, actor=actor, note=note)
    faults.crash_point("settlement.collected")
    return run


@transaction.atomic(durable=True)
def _collect(*, campaign: Any, actor: Any, note: str) -> SettlementRun:
    require_role(actor, FINANCE_ROLES, action="发起结算")
    now = clock.now()
    if guards.enabled():
        advisory(f"settlement:{campaign.pk}")  # a second run waits here, then sees this one
        if SettlementRun.objects.filter(campaign=campaign, state__in=OPEN_STATES).exists():
            raise _running(campaign)
    sync_receivables(campaign)
    wanted: dict[int, list[int]] = defaultdict(list)
    for submission in approved_unsettled(campaign=campaign):
        wanted[submission.merchant_id].append(submission.redemption_id)
    who = payees(wanted)
    frozen = sorted(m for m in wanted if who[m].frozen)
    merchants = sorted(m for m in wanted if not who[m].frozen)
    if not merchants:
        raise SettlementError("没有可结算的已审核核销" + (
            f"（{len(frozen)} 户商户已暂停或取消资格，其核销暂不结算）" if frozen else ""),
            code=SettlementCode.SETTLEMENT_EMPTY)
    number = (SettlementRun.objects.filter(campaign=campaign).aggregate(n=Max("number"))["n"]
              or 0) + 1
    run = SettlementRun(campaign=campaign, number=number, created_at=now, created_by=actor,
                        note=note[:255])
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        raise _running(campaign) from None
    sources = {str(s.pk): s for s in funding_sources(campaign)}
    for merchant_id in merchants:
        _settle_merchant(run=run, payee=who[merchant_id], redemption_ids=wanted[merchant_id],
                         sources=sources, actor=actor, now=now)
    faults.crash_point("settlement.after_lines")
    run.refresh_from_db()
    record(actor=actor, action="settlement.run", obj_type="settlement_run", obj_id=run.pk,
           summary=f"{run}：{run.merchant_count} 户商户 {run.sale_count} 笔核销，补贴 "
                   f"{format_yuan(run.gross_fen)} 元，抵扣追缴 {format_yuan(run.netted_fen)} 元，"
                   f"应拨付 {format_yuan(run.payout_fen)} 元"
                   + (f"；暂停或取消资格商户 {len(frozen)} 户不结算" if frozen else ""),
           after={"number": run.number, "sales": run.sale_count, "gross_fen": run.gross_fen,
                  "netted_fen": run.netted_fen, "payout_fen": run.payout_fen,
                  "frozen_merchants": frozen})
    return run


def _settle_merchant(*, run: SettlementRun, payee: Payee, redemption_ids: list[int],
                     sources: dict[str, Any], actor: Any, now: datetime) -> Payout:
    """One merchant's part of a run: a constant number of queries, whatever its number of sales
    (pinned by tests/settlement/test_queries.py)."""
    sales: list[SettledSale] = mark_settled(redemption_ids=redemption_ids, now=now)
    by_source: dict[str, int] = defaultdict(int)
    for sale in sales:
        for sid, fen in sale.by_source.items():
            by_source[sid] += fen
    gross = sum(sale.net_fen for sale in sales)
    payout = Payout(run=run, merchant_id=payee.id, legal_name=payee.legal_name, uscc=payee.uscc,
                    bank_name=payee.bank_name, bank_account_name=payee.bank_account_name,
                    bank_account=payee.bank_account, gross_fen=gross, netted_fen=0,
                    amount_fen=gross, sale_count=len(sales), by_source=dict(by_source))
    payout.save()
    lines_of_sales = [SettlementLine(run=run, payout=payout, redemption_id=sale.redemption_id,
                                     amount_fen=sale.net_fen, by_source=sale.by_source)
                      for sale in sales]
    # One INSERT per LINES_PER_STATEMENT sales (the ORM's bulk_create cuts SQLite's into
    # statements of 199 rows: the query count would grow with the sales).
    for start in range(0, len(lines_of_sales), LINES_PER_STATEMENT):
        sql.insert(lines_of_sales[start:start + LINES_PER_STATEMENT])
    moving = [(sources[sid], fen) for sid, fen in sorted(by_source.items(),
                                                         key=lambda kv: int(kv[0])) if fen]
    if moving:
        takes = accounts_for(campaign=run.campaign_id, scope=payable(payee.id),
                             sources=[s for s, _ in moving])
        gives = accounts_for(campaign=run.campaign_id, scope=paid_out(payee.id),
                             sources=[s for s, _ in moving])
        lines: list[tuple[Any, int]] = []
        for (_, fen), take, give in zip(moving, takes, gives, strict=True):
            lines += [(take, -fen), (give, fen)]
        post(campaign=run.campaign_id, kind=TxKind.PAYOUT, lines=lines, actor=actor,
             dedupe_key=f"settle:{run.pk}:{payee.id}", reference=f"settlement_run:{run.pk}",
             memo=f"{run}：{payee.legal_name} {len(sales)} 笔核销补贴结算")
    netted = net_receivables(payout=payout, actor=actor, now=now)
    payout.netted_fen, payout.amount_fen = netted, gross - netted
    payout.ledger_reference = f"settle:{run.pk}:{payee.id}"
    if payout.amount_fen == 0:  # all netted (or all returned): nothing for the bank
        payout.state, payout.answered_at = PayoutState.PAID, now
        payout.bank_reference = "无需拨付（全额抵扣）"
    payout.save(update_fields=["netted_fen", "amount_fen", "ledger_reference", "state",
                               "answered_at", "bank_reference"])
    SettlementRun.objects.filter(pk=run.pk).update(
        gross_fen=run.gross_fen + gross, netted_fen=run.netted_fen + netted,
        payout_fen=run.payout_fen + gross - netted, sale_count=run.sale_count + len(sales),
        merchant_count=run.merchant_count + 1)
    run.gross_fen += gross
    run.netted_fen += netted
    run.payout_fen += gross - netted
    run.sale_count += len(sales)
    run.merchant_count += 1
    return payout


def _move(run: SettlementRun, *, source: str, to: str, **fields: Any) -> None:
    """A run's state change as a conditional update: a second click, or a second finance
    officer at the same moment, finds it already done and is told so."""
    if not SettlementRun.objects.filter(pk=run.pk, state=source).update(state=to, **fields):
        run.refresh_from_db()
        raise SettlementError(f"{run} 当前状态为「{run.get_state_display()}」，不能执行这一步",
                              code=SettlementCode.SETTLEMENT_STATE)
    run.refresh_from_db()


def approve_run(*, run: SettlementRun, actor: Any) -> SettlementRun:
    """Finance approves the run (R-SET-1: paid after audit). Four eyes: the approver is not
    the person who collected it (docs/decisions.md)."""
    _approve(run=run, actor=actor)
    faults.crash_point("settlement.approved")
    return run


@transaction.atomic(durable=True)
def _approve(*, run: SettlementRun, actor: Any) -> None:
    require_role(actor, FINANCE_ROLES, action="审核结算批次")
    if actor.pk == run.created_by_id:
        raise SettlementError("结算批次须由另一位财务人员审核（发起人不能审核自己汇总的批次）",
                              code=SettlementCode.SETTLEMENT_SAME_USER, status=403)
    _move(run, source=RunState.COLLECTED, to=RunState.APPROVED, approved_at=clock.now(),
          approved_by=actor)
    record(actor=actor, action="settlement.approve", obj_type="settlement_run", obj_id=run.pk,
           summary=f"{run} 财务审核通过：应拨付 {format_yuan(run.payout_fen)} 元",
           after={"payout_fen": run.payout_fen})


@transaction.atomic(durable=True)
def cancel_run(*, run: SettlementRun, actor: Any, reason: str) -> SettlementRun:
    """Cancel a run before its bank file (collected or approved): its sales are unsettled again
    and each merchant's ledger transaction is reversed (paid out → payable, by the same funding
    sources), so the next run collects them afresh. Refused once clawbacks were netted in it or a
    sale of it was returned since (the merchant's receivable would have to be unwound)."""
    require_role(actor, FINANCE_ROLES, action="撤销结算批次")
    reason = " ".join(str(reason or "").split())[:255]
    if not reason:
        raise SettlementError("请填写撤销原因", code=SettlementCode.SETTLEMENT_STATE)
    run = SettlementRun.objects.select_for_update().get(pk=run.pk)
    if run.state not in OPEN_STATES:
        raise SettlementError(f"{run} 当前状态为「{run.get_state_display()}」："
                              "只有出银行文件前的批次可以撤销",
                              code=SettlementCode.SETTLEMENT_STATE)
    if run.netted_fen:
        raise SettlementError(f"{run} 已抵扣追缴 {format_yuan(run.netted_fen)} 元，不能撤销；"
                              "请审核并拨付", code=SettlementCode.SETTLEMENT_STATE)
    unmark_settled(redemption_ids=list(run.lines.values_list("redemption_id", flat=True)))
    sources = {str(s.pk): s for s in funding_sources(run.campaign)}
    for payout in run.payouts.order_by("pk"):
        moving = [(sources[sid], fen) for sid, fen in sorted(payout.by_source.items(),
                                                             key=lambda kv: int(kv[0])) if fen]
        if not moving:
            continue
        takes = accounts_for(campaign=run.campaign_id, scope=paid_out(payout.merchant_id),
                             sources=[s for s, _ in moving])
        gives = accounts_for(campaign=run.campaign_id, scope=payable(payout.merchant_id),
                             sources=[s for s, _ in moving])
        lines: list[tuple[Any, int]] = []
        for (_, fen), take, give in zip(moving, takes, gives, strict=True):
            lines += [(take, -fen), (give, fen)]
        post(campaign=run.campaign_id, kind=TxKind.PAYOUT, lines=lines, actor=actor,
             dedupe_key=f"settle-cancel:{run.pk}:{payout.merchant_id}",
             reference=f"settlement_run:{run.pk}",
             memo=f"{run} 撤销：{payout.legal_name} 结算冲回")
    run.lines.update(cancelled=True)
    run.payouts.update(state=PayoutState.CANCELLED)
    _move(run, source=run.state, to=RunState.CANCELLED, closed_at=clock.now())
    record(actor=actor, action="settlement.cancel", obj_type="settlement_run", obj_id=run.pk,
           summary=f"{run} 撤销（{reason}）：{run.sale_count} 笔核销恢复为未结算",
           after={"reason": reason, "sales": run.sale_count})
    return run
