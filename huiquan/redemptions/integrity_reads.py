"""Reads of sales for the integrity signals (R-INT-1..2; huiquan.integrity).

Each function is one or two aggregate statements over the campaign's sales: a group-by with a
HAVING, or a flat list of exactly the rows a signal's evidence names. No per-row queries: the
scan stays a handful of statements however many sales there are (tests pin it).
Only completed sales count: a failed payment is not a sale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, ExtractHour, NullIf

from huiquan.core.clock import SHANGHAI
from huiquan.redemptions.models import GoodsReturn, Redemption, RedemptionLine, RedemptionState

EVIDENCE_ROWS = 200  # at most this many sales named in one signal's evidence


@dataclass(frozen=True)
class Sale:
    """A completed sale as a signal's evidence names it."""

    id: int
    merchant_id: int
    consumer_id: int
    created_at: datetime
    total_final_fen: int
    eligible_final_fen: int
    subsidy_fen: int


SALE_FIELDS = ("id", "merchant_id", "consumer_id", "created_at", "total_final_fen",
               "eligible_final_fen", "subsidy_fen")


def _completed(campaign_id: int) -> Any:
    return Redemption.objects.filter(campaign_id=campaign_id, state=RedemptionState.COMPLETED)


def _sales(rows: Any) -> list[Sale]:
    return [Sale(*row) for row in rows.values_list(*SALE_FIELDS)]


def _person() -> Any:
    # The keyed hash of the resident ID; an account held as a duplicate of an earlier one keeps
    # the canonical hash in id_duplicate_hash (consumers, migration 0003): the same person.
    return Coalesce(NullIf(F("consumer__id_hash"), Value("")),
                    NullIf(F("consumer__id_duplicate_hash"), Value("")))


@dataclass(frozen=True)
class PersonSale:
    person: str  # keyed hash of the resident ID (never the number itself)
    id_masked: str
    sale: Sale


def one_person_many_merchants(campaign_id: int, *, min_merchants: int) -> list[PersonSale]:
    """Sales of people (one resident ID, whatever account) who bought at ``min_merchants`` or
    more different shops: two statements (the people, then their sales)."""
    people = list(_completed(campaign_id).annotate(person=_person()).exclude(person=None)
                  .values("person").annotate(shops=Count("merchant_id", distinct=True))
                  .filter(shops__gte=min_merchants).values_list("person", flat=True))
    if not people:
        return []
    rows = (_completed(campaign_id).annotate(person=_person()).filter(person__in=people)
            .order_by("person", "created_at", "pk"))
    return [PersonSale(person, masked, Sale(*rest)) for person, masked, *rest in
            rows.values_list("person", "consumer__id_masked", *SALE_FIELDS)]


def sales_of(ids: Iterable[int]) -> dict[int, Sale]:
    return {s.id: s for s in _sales(Redemption.objects.filter(pk__in=list(ids)))}


@dataclass(frozen=True)
class BandCount:
    merchant_id: int
    in_band: int
    total: int


def price_band_counts(campaign_id: int, *, low_fen: int, high_fen: int) -> list[BandCount]:
    """Per shop: completed sales whose eligible price is in [low, high), and all its sales."""
    band = Q(eligible_final_fen__gte=low_fen, eligible_final_fen__lt=high_fen)
    rows = (_completed(campaign_id).values("merchant_id")
            .annotate(in_band=Count("pk", filter=band), total=Count("pk"))
            .filter(in_band__gt=0).order_by("merchant_id"))
    return [BandCount(r["merchant_id"], r["in_band"], r["total"]) for r in rows]


def sales_in_band(campaign_id: int, merchant_ids: Iterable[int], *, low_fen: int,
                  high_fen: int) -> list[Sale]:
    return _sales(_completed(campaign_id).filter(
        merchant_id__in=list(merchant_ids), eligible_final_fen__gte=low_fen,
        eligible_final_fen__lt=high_fen).order_by("merchant_id", "created_at", "pk"))


def sales_outside_hours(campaign_id: int, *, opens_hour: int, closes_hour: int) -> list[Sale]:
    """Completed sales made before ``opens_hour`` or from ``closes_hour`` on, Beijing time."""
    hour = ExtractHour("created_at", tzinfo=SHANGHAI)
    return _sales(_completed(campaign_id).annotate(hour=hour)
                  .filter(Q(hour__lt=opens_hour) | Q(hour__gte=closes_hour))
                  .order_by("merchant_id", "created_at", "pk"))


def sale_times(campaign_id: int) -> list[tuple[int, int, datetime]]:
    """(sale id, shop id, time) of every completed sale, by shop then time: the burst detector
    slides its window over this one list."""
    return list(_completed(campaign_id).order_by("merchant_id", "created_at", "pk")
                .values_list("pk", "merchant_id", "created_at"))


@dataclass(frozen=True)
class LateReturn:
    return_id: int
    redemption_id: int
    merchant_id: int
    sold_at: datetime
    settled_at: datetime | None
    returned_at: datetime
    returned_final_fen: int
    subsidy_back_fen: int


def returns_soon_after_settlement(campaign_id: int, *, within: timedelta) -> list[LateReturn]:
    """Returns booked after the sale was settled (paid to the shop), within ``within`` of it."""
    rows = (GoodsReturn.objects.filter(
        redemption__campaign_id=campaign_id, redemption__settled_at__isnull=False,
        created_at__gte=F("redemption__settled_at"),
        created_at__lte=F("redemption__settled_at") + within)
        .order_by("redemption__merchant_id", "created_at", "pk"))
    return [LateReturn(*r) for r in rows.values_list(
        "pk", "redemption_id", "redemption__merchant_id", "redemption__created_at",
        "redemption__settled_at", "created_at", "returned_final_fen", "subsidy_back_fen")]


@dataclass(frozen=True)
class GtinSale:
    redemption_id: int
    merchant_id: int
    gtin: str
    description: str
    sold_at: datetime
    quantity: int
    unit_price_fen: int  # the shelf price typed at the till
    unit_final_fen: int  # after the line's discount, per unit (rounded down)


def gtin_sales(campaign_id: int) -> list[GtinSale]:
    """Every eligible line with a barcode of a completed sale, by barcode, shop and time."""
    rows = (RedemptionLine.objects.filter(
        redemption__campaign_id=campaign_id, redemption__state=RedemptionState.COMPLETED,
        eligible=True).exclude(gtin="")
        .order_by("gtin", "redemption__merchant_id", "redemption__created_at", "pk")
        .values_list("redemption_id", "redemption__merchant_id", "gtin", "description",
                     "redemption__created_at", "quantity", "unit_price_fen", "final_fen"))
    return [GtinSale(rid, mid, gtin, desc, at, qty, unit, final // qty)
            for rid, mid, gtin, desc, at, qty, unit, final in rows]


@dataclass(frozen=True)
class Unsettled:
    """A shop's completed sales not yet paid out: what a suspension or disqualification
    freezes (settlement skips a suspended or disqualified shop)."""

    count: int
    subsidy_fen: int
    redemption_ids: list[int]


def unsettled_sales(merchant_id: int) -> Unsettled:
    rows = Redemption.objects.filter(merchant_id=merchant_id, state=RedemptionState.COMPLETED,
                                     settled_at__isnull=True)
    totals = rows.aggregate(n=Count("pk"), fen=Sum(F("subsidy_fen") - F("subsidy_returned_fen")
                                                   - F("clawback_fen")))
    ids = list(rows.order_by("pk").values_list("pk", flat=True)[:EVIDENCE_ROWS])
    return Unsettled(totals["n"] or 0, int(totals["fen"] or 0), ids)
