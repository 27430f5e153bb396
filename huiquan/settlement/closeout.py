"""Close-out (清算, issue 14 item 7; R-SCHED-6, R-SET-3): after the campaign's last period has
ended and carried over, and the final settlement run is done, the money nobody spent goes back
to the funding source it came from — county and city separately — in one ledger transaction
(pools → returned to treasury, by source). The report states, per source, where every fen
received is now; it is the ledger's balances, so it equals what ``huiquan reconcile`` checks.
A later close-out (money that came back afterwards, e.g. a clawback repaid) sweeps again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction

from huiquan.audit.services import record
from huiquan.campaigns.selectors import funding_sources
from huiquan.core import clock
from huiquan.core.money import format_yuan
from huiquan.core.roles import require_role
from huiquan.ledger.models import AccountKind, TxKind
from huiquan.ledger.scopes import RETURNED_TO_TREASURY
from huiquan.ledger.selectors import accounts_of, pool_total
from huiquan.ledger.services import accounts_for, lock_accounts, post
from huiquan.merchants.settlement_reads import payees
from huiquan.settlement.clawbacks import FINANCE_ROLES
from huiquan.settlement.errors import SettlementCode, SettlementError
from huiquan.settlement.models import OPEN_STATES, CloseOut, SettlementRun
from huiquan.verification.selectors import approved_unsettled

UNSPENT_KINDS = (AccountKind.CAMPAIGN_POOL, AccountKind.PERIOD_POOL, AccountKind.RELEASE_POOL)
# The report's rows: what each funding source's money is now (ledger account kinds).
REPORT_KINDS = [
    ("paid_out", AccountKind.PAID_OUT, "已结算给商户"),
    ("receivable", AccountKind.CLAWBACK_RECEIVABLE, "追缴未收回"),
    ("payable", AccountKind.MERCHANT_PAYABLE, "应付商户（未结算）"),
    ("reserved", AccountKind.RESERVED, "核销预占"),
    ("pools", None, "资金池余额"),
    ("treasury", AccountKind.RETURNED_TO_TREASURY, "已退回资金来源"),
]


def report(campaign: Any) -> dict[str, Any]:
    """Per funding source: received, and where it is now. ``balanced``: received = the sum of
    the rest (the reconcile's "资金来源 = 去向 + 余额", per source)."""
    by: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account in accounts_of(campaign):
        row = by[account.source_id]
        if account.kind == AccountKind.FUNDING_SOURCE:
            row["received"] -= account.balance_fen
        elif account.kind in UNSPENT_KINDS:
            row["pools"] += account.balance_fen
        else:
            key = next(k for k, kind, _ in REPORT_KINDS if kind == account.kind)
            row[key] += account.balance_fen
    sources: list[dict[str, Any]] = []
    for source in funding_sources(campaign):
        row = by[source.pk]
        accounted = sum(row[k] for k, _, _ in REPORT_KINDS)
        sources.append({"source_id": source.pk, "source": source.name, "code": source.code,
                        "received": row["received"], **{k: row[k] for k, _, _ in REPORT_KINDS},
                        "balanced": accounted == row["received"]})
    totals = {k: sum(s[k] for s in sources) for k in ["received", *(k for k, _, _ in REPORT_KINDS)]}
    return {"sources": sources, "totals": totals,
            "balanced": all(bool(s["balanced"]) for s in sources)}


def _not_ready(campaign: Any) -> list[str]:
    reasons = []
    # A period never scheduled (no start) has nothing to carry over: its pool is swept as is.
    open_periods = [str(p) for p in campaign.periods.filter(starts_at__isnull=False,
                                                            carried_over_at__isnull=True)]
    if open_periods:
        reasons.append(f"{'、'.join(open_periods)} 尚未结束结转（先运行 huiquan tick）")
    if pool_total(campaign, AccountKind.RESERVED):
        reasons.append("仍有支付中的核销（预占资金）")
    if SettlementRun.objects.filter(campaign=campaign, state__in=OPEN_STATES).exists():
        reasons.append("有结算批次尚未审核出文件")
    waiting = approved_unsettled(campaign=campaign)
    who = payees({s.merchant_id for s in waiting})
    payable_now = [s for s in waiting if not who[s.merchant_id].frozen]
    if payable_now:
        reasons.append(f"还有 {len(payable_now)} 笔已审核核销未结算（先做最终结算）")
    return reasons


@transaction.atomic(durable=True)
def close_out(*, campaign: Any, actor: Any) -> CloseOut:
    """Return the unspent money to its funding sources and keep the report (see module)."""
    require_role(actor, FINANCE_ROLES, action="活动清算")
    reasons = _not_ready(campaign)
    if reasons:
        raise SettlementError("活动尚不能清算：" + "；".join(reasons),
                              code=SettlementCode.CLOSEOUT_NOT_READY)
    unspent = [a for a in accounts_of(campaign) if a.kind in UNSPENT_KINDS]
    lock_accounts(unspent)
    fresh = {a.pk: a for a in accounts_of(campaign) if a.kind in UNSPENT_KINDS}
    sources = funding_sources(campaign)
    treasury = dict(zip([s.pk for s in sources],
                        accounts_for(campaign=campaign, scope=RETURNED_TO_TREASURY,
                                     sources=sources), strict=True))
    lines: list[tuple[Any, int]] = []
    returned: dict[str, int] = defaultdict(int)
    for account in sorted(fresh.values(), key=lambda a: a.pk):
        if account.balance_fen > 0:
            lines += [(account, -account.balance_fen),
                      (treasury[account.source_id], account.balance_fen)]
            returned[str(account.source_id)] += account.balance_fen
    now = clock.now()
    if lines:
        post(campaign=campaign, kind=TxKind.TREASURY_RETURN, lines=lines, actor=actor,
             reference=f"closeout:{campaign.pk}", memo="活动清算：未使用资金按来源退回")
    closing = CloseOut.objects.create(campaign=campaign, created_at=now, actor=actor,
                                      returned_by_source=dict(returned), report=report(campaign))
    names = {str(s.pk): s.name for s in sources}
    record(actor=actor, action="settlement.closeout", obj_type="campaign", obj_id=campaign.pk,
           summary="活动清算：" + ("；".join(f"{names[sid]} 退回 {format_yuan(fen)} 元"
                                          for sid, fen in returned.items()) or "没有未使用资金"),
           after={"closeout": closing.pk, "returned_by_source": dict(returned)})
    return closing
