"""Settlement's reconcile checks (invariant 6, R-SET-2..3, R-RET-2); ``huiquan.reconcile`` runs
every app's. They prove: settled = approved sales' subsidy − clawbacks netted; the ledger's
payouts = the run lines; paid = the bank files' totals; every settled sale is in exactly one
line; the receivables = the ledger's clawback receivable; close-outs = returned to treasury."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Sum

from huiquan.core.money import format_yuan
from huiquan.ledger.models import AccountKind, TxKind
from huiquan.ledger.selectors import party_balance, posted_by_source
from huiquan.redemptions.settlement_reads import (
    returns_after_settlement,
    settled_ids,
    settled_totals,
)
from huiquan.settlement.models import (
    CloseOut,
    Payout,
    PayoutState,
    Receivable,
    Recovery,
    RecoveryKind,
    RunState,
    SettlementLine,
    SettlementRun,
)


def _sum(qs: Any, field: str = "amount_fen") -> int:
    return int(qs.aggregate(s=Sum(field))["s"] or 0)


def reconcile_settlement(campaign: Any) -> list[tuple[str, bool, str]]:
    out: list[tuple[str, bool, str]] = []
    runs = SettlementRun.objects.filter(campaign=campaign).exclude(state=RunState.CANCELLED)
    lines = SettlementLine.objects.filter(run__campaign=campaign, cancelled=False)
    payouts = Payout.objects.filter(run__in=runs)
    line_fen = _sum(lines)
    n_settled, settled_fen = settled_totals(campaign)
    netted = _sum(Recovery.objects.filter(receivable__campaign=campaign,
                                          kind=RecoveryKind.NETTED))
    payout_fen = _sum(payouts)
    ok = line_fen == settled_fen and payout_fen == line_fen - netted == _sum(runs, "payout_fen")
    out.append(("结算 = 已审核核销 − 抵扣追缴", ok,
                f"已结算核销 {n_settled} 笔 {format_yuan(settled_fen)} 元，结算明细 "
                f"{format_yuan(line_fen)} 元，抵扣追缴 {format_yuan(netted)} 元，应拨付 "
                f"{format_yuan(payout_fen)} 元"))

    booked = sum(v for (_, kind, tx), v in posted_by_source(campaign).items()
                 if kind == AccountKind.PAID_OUT and tx == TxKind.PAYOUT)
    out.append(("结算记账 = 结算明细（按资金来源）", booked == line_fen,
                f"记入已拨付 {format_yuan(booked)} 元，明细 {format_yuan(line_fen)} 元"))

    bad_files = []
    paid_in_files = 0
    sent_total = 0
    amounts = dict(payouts.values_list("pk", "amount_fen"))
    states = dict(payouts.values_list("pk", "state"))
    latest: dict[int, int] = {}
    for run in runs.prefetch_related("files"):
        for bank_file in run.files.all():
            if bank_file.total_fen != sum(amounts.get(pk, 0) for pk in bank_file.payout_ids):
                bad_files.append(f"{run} 文件 {bank_file.number}")
            if bank_file.number == 1:
                sent_total += bank_file.total_fen
            for pk in bank_file.payout_ids:
                latest[pk] = bank_file.number
    paid_in_files = sum(amounts[pk] for pk in latest if states[pk] == PayoutState.PAID)
    paid = _sum(payouts.filter(state=PayoutState.PAID))
    exported = _sum(payouts.filter(run__state__in=(RunState.EXPORTED, RunState.PAID)))
    ok = not bad_files and paid == paid_in_files and sent_total == exported
    out.append(("已拨付 = 银行文件合计", ok,
                f"银行确认到账 {format_yuan(paid)} 元（文件中 {format_yuan(paid_in_files)} 元），"
                f"已发文件合计 {format_yuan(sent_total)} 元"
                + (f"；文件合计不符：{bad_files}" if bad_files else "")))

    counted = Counter(lines.values_list("redemption_id", flat=True))
    twice = [rid for rid, n in counted.items() if n > 1]
    settled = settled_ids(campaign)
    orphan = settled - set(counted)
    stray = set(counted) - settled
    ok = not twice and not orphan and not stray
    out.append(("每笔已结算核销恰在一条结算明细中", ok,
                f"{len(settled)} 笔" + (f"；重复 {twice[:10]}" if twice else "")
                + (f"；无明细 {sorted(orphan)[:10]}" if orphan else "")
                + (f"；明细指向未结算核销 {sorted(stray)[:10]}" if stray else "")))

    receivables = Receivable.objects.filter(campaign=campaign)
    known = list(receivables.values_list("goods_return_id", flat=True))
    open_fen = _sum(receivables, "amount_fen") - _sum(receivables, "recovered_fen")
    pending = sum(r.amount_fen for r in returns_after_settlement(campaign, known=known))
    held = party_balance(campaign, AccountKind.CLAWBACK_RECEIVABLE)
    out.append(("追缴应收 = 账本应收退回", held == open_fen + pending,
                f"账本 {format_yuan(held)} 元，未收回 {format_yuan(open_fen)} 元"
                + (f"（含待登记 {format_yuan(pending)} 元）" if pending else "")))

    returned: dict[str, int] = defaultdict(int)
    for closing in CloseOut.objects.filter(campaign=campaign):
        for sid, fen in closing.returned_by_source.items():
            returned[sid] += int(fen)
    in_ledger: dict[str, int] = defaultdict(int)
    for (sid, kind, _), v in posted_by_source(campaign).items():
        if kind == AccountKind.RETURNED_TO_TREASURY:
            in_ledger[str(sid)] += v
    same = {k: v for k, v in returned.items() if v} == {k: v for k, v in in_ledger.items() if v}
    out.append(("清算退回 = 账本已退回资金来源", same,
                f"清算 {len(returned) and format_yuan(sum(returned.values()))} 元"
                if returned else "尚未清算"))
    return out
