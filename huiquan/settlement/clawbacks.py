"""Clawbacks (R-RET-2): a return after settlement leaves the merchant owing the subsidy back.

``redemptions.returns.return_goods`` books it in the ledger (paid out → the merchant's clawback
receivable). Settlement, above redemptions, discovers those returns through
``redemptions.settlement_reads`` and keeps one ``Receivable`` per return; the money comes back
either netted from the merchant's next payout (``net_receivables``, inside a run) or repaid by
transfer (``record_repayment``, finance records it). Either way one ledger transaction moves it
from the receivable back to the pool open for returns of the sale's release, by funding source.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from huiquan.audit.services import record
from huiquan.campaigns.models import Release
from huiquan.campaigns.selectors import funding_sources
from huiquan.campaigns.services import pool_open_for_returns
from huiquan.core import clock
from huiquan.core.identifiers import nfkc
from huiquan.core.locks import lock_one
from huiquan.core.money import format_yuan
from huiquan.core.roles import Role, require_role
from huiquan.ledger.models import TxKind
from huiquan.ledger.scopes import clawback_receivable
from huiquan.ledger.services import accounts_for, post
from huiquan.redemptions.settlement_reads import returns_after_settlement
from huiquan.settlement.errors import SettlementCode, SettlementError
from huiquan.settlement.models import Payout, Receivable, Recovery, RecoveryKind

FINANCE_ROLES = (Role.FINANCE,)


def sync_receivables(campaign: Any) -> list[Receivable]:
    """Book a ``Receivable`` for each return after settlement not yet known, inside the
    caller's transaction. A return is known at most once (one-to-one on the return)."""
    known = Receivable.objects.filter(campaign=campaign).values_list("goods_return_id", flat=True)
    made = []
    for late in returns_after_settlement(campaign, known=list(known)):
        receivable = Receivable(
            campaign=campaign, merchant_id=late.merchant_id, goods_return_id=late.goods_return_id,
            redemption_id=late.redemption_id, release_id_at_sale=late.release_id,
            amount_fen=late.amount_fen, by_source=late.by_source, booked_at=late.returned_at)
        try:
            with transaction.atomic():
                receivable.save()
        except IntegrityError:
            continue  # booked by a concurrent caller
        made.append(receivable)
    return made


def _split(receivable: Receivable, amount: int, sources: list[Any]) -> dict[str, int]:
    """Which funding sources ``amount`` recovered belongs to: the receivable's own split less
    what earlier recoveries took, in funding order."""
    left = defaultdict(int, {k: int(v) for k, v in receivable.by_source.items()})
    for earlier in receivable.recoveries.all():
        for sid, fen in earlier.by_source.items():
            left[sid] -= int(fen)
    out: dict[str, int] = {}
    for source in sources:
        take = min(amount, max(left[str(source.pk)], 0))
        if take:
            out[str(source.pk)] = take
            amount -= take
    if amount:
        raise SettlementError("追缴金额超过应收余额", code=SettlementCode.RECEIVABLE_INVALID,
                              status=422)
    return out


def recover(*, receivable: Receivable, amount_fen: int, kind: str, actor: Any,
            payout: Payout | None = None, reference: str = "",
            now: datetime | None = None) -> Recovery:
    """Money recovered on a (locked) receivable: back from the merchant's clawback receivable
    to the pool open for returns of the sale's release, by funding source. Inside the
    caller's transaction."""
    campaign = receivable.campaign_id
    sources = funding_sources(receivable.campaign)
    split = _split(receivable, amount_fen, sources)
    by_id = {str(s.pk): s for s in sources}
    moving = [(by_id[sid], fen) for sid, fen in split.items()]
    release = lock_one(Release, receivable.release_id_at_sale, no_key=True)
    takes = accounts_for(campaign=campaign, scope=clawback_receivable(receivable.merchant_id),
                         sources=[s for s, _ in moving])
    gives = accounts_for(campaign=campaign, scope=pool_open_for_returns(release),
                         sources=[s for s, _ in moving])
    lines: list[tuple[Any, int]] = []
    for (_, fen), take, give in zip(moving, takes, gives, strict=True):
        lines += [(take, -fen), (give, fen)]
    what = RecoveryKind(kind).label
    post(campaign=campaign, kind=TxKind.CLAWBACK, release=release, period=release.period_id,
         lines=lines, actor=actor, reference=f"receivable:{receivable.pk}",
         memo=f"追缴 #{receivable.pk}（核销 #{receivable.redemption_id}）{what} "
              f"{format_yuan(amount_fen)} 元")
    recovery = Recovery.objects.create(receivable=receivable, kind=kind, amount_fen=amount_fen,
                                       by_source=split, payout=payout, reference=reference[:64],
                                       created_at=now or clock.now(), actor=actor)
    receivable.recovered_fen += amount_fen
    receivable.save(update_fields=["recovered_fen"])
    return recovery


def net_receivables(*, payout: Payout, actor: Any, now: datetime) -> int:
    """Net the merchant's open receivables, oldest first, from this payout's gross (never more
    than it): what was netted. Inside the run's transaction."""
    room = payout.gross_fen
    netted = 0
    open_ones = (Receivable.objects.filter(campaign_id=payout.run.campaign_id,
                                           merchant_id=payout.merchant_id)
                 .select_for_update().order_by("booked_at", "pk"))
    for receivable in open_ones:
        take = min(receivable.open_fen, room - netted)
        if take <= 0:
            continue
        recover(receivable=receivable, amount_fen=take, kind=RecoveryKind.NETTED, actor=actor,
                payout=payout, now=now)
        netted += take
    return netted


@transaction.atomic(durable=True)
def record_repayment(*, receivable_id: int, amount_fen: int, reference: str,
                     actor: Any) -> Recovery:
    """R-RET-2: finance records the merchant's transfer paying a clawback back."""
    require_role(actor, FINANCE_ROLES, action="登记追缴还款")
    reference = nfkc(reference)[:64]
    if not reference:
        raise SettlementError("请填写转账流水号", code=SettlementCode.RECEIVABLE_INVALID,
                              status=422)
    receivable = lock_one(Receivable, receivable_id)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise SettlementError("还款金额必须大于零", code=SettlementCode.RECEIVABLE_INVALID,
                              status=422)
    if amount_fen > receivable.open_fen:
        raise SettlementError(f"还款 {format_yuan(amount_fen)} 元超过未收回的 "
                              f"{format_yuan(receivable.open_fen)} 元",
                              code=SettlementCode.RECEIVABLE_INVALID, status=422)
    recovery = recover(receivable=receivable, amount_fen=amount_fen, kind=RecoveryKind.REPAID,
                       actor=actor, reference=reference)
    record(actor=actor, action="settlement.repayment", obj_type="receivable",
           obj_id=receivable.pk,
           summary=f"追缴 #{receivable.pk}：商户转账退回 {format_yuan(amount_fen)} 元（{reference}）",
           after={"amount_fen": amount_fen, "by_source": recovery.by_source,
                  "reference": reference})
    return recovery


@transaction.atomic(durable=True)
def refresh_receivables(*, campaign: Any, actor: Any = None) -> int:
    """For tick and the office: book receivables for returns after settlement. How many new."""
    made = sync_receivables(campaign)
    if made:
        record(actor=actor, action="settlement.receivables", obj_type="campaign",
               obj_id=campaign.pk,
               summary=f"登记结算后退货追缴 {len(made)} 笔，合计 "
                       f"{format_yuan(sum(r.amount_fen for r in made))} 元",
               after={"receivables": [r.pk for r in made]})
    return len(made)
