"""Reads of sales for settlement (huiquan.settlement, the layer above; invariant 6, R-RET-2).

What a settled sale comes to and which funding sources paid it, and the returns booked after
settlement (each a clawback receivable in the ledger, booked by ``return_goods``) that
settlement has to recover. Settlement never reads these tables itself."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from huiquan.redemptions.models import GoodsReturn, Redemption


@dataclass(frozen=True)
class SettledSale:
    redemption_id: int
    merchant_id: int
    release_id: int
    net_fen: int  # the subsidy the merchant is owed for it now
    by_source: dict[str, int]  # funding source id → fen, as booked at the till less returns


def net_by_source(redemption_ids: Collection[int]) -> list[SettledSale]:
    """Each sale's subsidy less returns before settlement, split by funding source. Two
    queries, whatever the number of sales."""
    ids = list(redemption_ids)
    back: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for rid, split in (GoodsReturn.objects.filter(redemption_id__in=ids, before_settlement=True)
                       .values_list("redemption_id", "by_source")):
        for sid, fen in split.items():
            back[rid][sid] += int(fen)
    out = []
    for rid, merchant_id, release_id, subsidy, returned, split in (
            Redemption.objects.filter(pk__in=ids).order_by("pk").values_list(
                "pk", "merchant_id", "release_id", "subsidy_fen", "subsidy_returned_fen",
                "subsidy_by_source")):
        net = {sid: int(fen) - back[rid].get(sid, 0) for sid, fen in split.items()}
        net = {sid: fen for sid, fen in net.items() if fen}
        assert sum(net.values()) == subsidy - returned, f"redemption {rid}: split drift"
        out.append(SettledSale(rid, merchant_id, release_id, subsidy - returned, net))
    return out


@dataclass(frozen=True)
class LateReturn:
    """A return after settlement: the merchant owes its subsidy back (R-RET-2)."""

    goods_return_id: int
    redemption_id: int
    merchant_id: int
    release_id: int
    amount_fen: int
    by_source: dict[str, int]
    returned_at: datetime


def returns_after_settlement(campaign: Any, *, known: Collection[int] = ()) -> list[LateReturn]:
    """The campaign's returns after settlement with a subsidy to claw back, except ``known``."""
    rows = (GoodsReturn.objects.filter(redemption__campaign=campaign, before_settlement=False,
                                       subsidy_back_fen__gt=0)
            .exclude(pk__in=list(known)).order_by("pk")
            .values_list("pk", "redemption_id", "redemption__merchant_id",
                         "redemption__release_id", "subsidy_back_fen", "by_source",
                         "created_at"))
    return [LateReturn(pk, rid, mid, rel, amount, {k: int(v) for k, v in split.items()}, at)
            for pk, rid, mid, rel, amount, split, at in rows]


def settled_totals(campaign: Any) -> tuple[int, int]:
    """(number of settled sales, their subsidy at settlement: subsidy less returns before it),
    for the reconcile."""
    from django.db.models import Count, Sum

    agg = Redemption.objects.filter(campaign=campaign, settled_at__isnull=False).aggregate(
        n=Count("id"), s=Sum("subsidy_fen"), r=Sum("subsidy_returned_fen"))
    return int(agg["n"] or 0), int((agg["s"] or 0) - (agg["r"] or 0))


def settled_ids(campaign: Any) -> set[int]:
    return set(Redemption.objects.filter(campaign=campaign, settled_at__isnull=False)
               .values_list("pk", flat=True))
