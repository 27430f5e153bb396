"""Reads about vouchers and what a release has left (R-ROLE-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from huiquan.campaigns import selectors as campaign_selectors
from huiquan.campaigns.models import Campaign, Release
from huiquan.core import clock, sql
from huiquan.core.converters import MAX_ID
from huiquan.vouchers.models import Voucher


def voucher_by_id(voucher_id: int, *, lock: bool = False) -> Voucher | None:
    """One voucher in one plain query (the till's path: bench/RESULTS.md); ``lock`` takes its
    row lock inside the caller's transaction."""
    found = sql.load(Voucher, "id = %s", [voucher_id], lock=lock)
    return found[0] if found else None


def voucher_by_handle(handle: int) -> Voucher | None:
    """The voucher a payment code names (its random handle, never its id)."""
    found = sql.load(Voucher, "paycode_handle = %s", [handle])
    return found[0] if found else None


def voucher_state(voucher: Voucher, now: datetime | None = None, *,
                  sale_pending: bool = False) -> str:
    """used, in_use, valid or expired. ``sale_pending``: a till has reserved this voucher and
    the payment is in flight (redemptions knows; the caller asks it): the voucher is "in_use"
    (使用中), not offered again until the sale completes or fails (hostile input second round,
    F9). A sale begun before the voucher expired keeps it in use until it is decided."""
    now = now or clock.now()
    if voucher.used_at is not None:
        return "used"
    if sale_pending:
        return "in_use"
    return "valid" if now < voucher.valid_until else "expired"


VOUCHER_LABELS = {"used": "已使用", "in_use": "使用中", "valid": "可使用", "expired": "已过期"}


def vouchers_of(consumer: Any) -> list[Voucher]:
    return list(Voucher.objects.filter(consumer=consumer).select_related("release__period")
                .order_by("-claimed_at"))


def own_voucher(consumer: Any, voucher_id: int) -> Voucher | None:
    """One of this person's vouchers (another's id is simply not found)."""
    if not 0 < voucher_id <= MAX_ID:
        return None
    return (Voucher.objects.filter(pk=voucher_id, consumer=consumer)
            .only("used_at", "valid_until").first())


def live_voucher(consumer: Any) -> Voucher | None:
    now = clock.now()
    return (Voucher.objects.filter(consumer=consumer, used_at__isnull=True, valid_until__gt=now)
            .select_related("release__period").order_by("-claimed_at").first())


def release_public(release: Release, now: datetime | None = None, *,
                   with_balance: bool = True) -> dict[str, Any]:
    """What the public may know of a release: times, state, what is left (R-ROLE-2)."""
    now = now or clock.now()
    state = campaign_selectors.release_state(release, now)
    public_state = {"scheduled": "upcoming", "awaiting_confirmation": "upcoming",
                    "open": "open" if release.remaining_count > 0 else "sold_out",
                    "expired": "closed", "returned": "closed", "missed": "closed",
                    "cancelled": "cancelled"}[state]
    return {
        "id": release.pk,
        "period": release.period.name,
        "number": release.number,
        "opens_at": release.opens_at,
        "expires_at": release.expires_at,
        "state": public_state,
        "voucher_count": release.voucher_count or 0,
        "remaining_count": release.remaining_count if release.confirmed_at else 0,
        "amount_fen": release.amount_fen or 0,
        "remaining_fen": campaign_selectors.release_balance(release)
        if release.confirmed_at and with_balance else 0,
    }


def releases_public(campaign: Campaign, *, with_balance: bool = True) -> list[dict[str, Any]]:
    now = clock.now()
    return [release_public(r, now, with_balance=with_balance) for r in
            Release.objects.filter(period__campaign=campaign).select_related("period")
            .order_by("opens_at")]


def next_or_open_release(campaign: Campaign) -> dict[str, Any] | None:
    """The release a visitor cares about now: the open one, else the next one to open."""
    rows = releases_public(campaign, with_balance=False)  # the page no longer shows the pool
    for state in ("open", "sold_out"):
        for row in rows:
            if row["state"] == state:
                return row
    upcoming = [r for r in rows if r["state"] == "upcoming"]
    return upcoming[0] if upcoming else None


def next_release_after(campaign: Campaign, opens_at: datetime) -> Release | None:
    """The release after the one that opened at ``opens_at`` (the plan's time, confirmed or
    not yet): what a sold-out page names as the next chance. Cancelled ones are skipped."""
    return (Release.objects.filter(period__campaign=campaign, opens_at__gt=opens_at,
                                   cancelled_at__isnull=True, expires_at__gt=clock.now())
            .select_related("period").order_by("opens_at").first())


# The live count a page polls while a release is open: at most one database read per release
# every LIVE_SECONDS in each process (or across servers, with Redis as the cache), however many
# phones are watching.
LIVE_SECONDS = 2


def release_live(release_id: int) -> dict[str, Any] | None:
    """{state, remaining_count, voucher_count} of a release, cached for LIVE_SECONDS."""
    from django.core.cache import cache

    key = f"release-live:{release_id}"
    found: dict[str, Any] | None = cache.get(key)
    if found is None:
        release = Release.objects.select_related("period").filter(pk=release_id).first()
        if release is None:
            return None
        public = release_public(release, with_balance=False)
        found = {k: public[k] for k in ("id", "state", "remaining_count", "voucher_count")}
        cache.set(key, found, LIVE_SECONDS)
    return found


@dataclass(frozen=True)
class VoucherCounts:
    claimed: int = 0
    used: int = 0
    expired: int = 0  # expired unused


def voucher_counts(campaign: Campaign) -> dict[int, VoucherCounts]:
    """Per release: vouchers claimed, used, and expired without being used (one query)."""
    now = clock.now()
    rows = (Voucher.objects.filter(campaign=campaign).values("release_id")
            .annotate(claimed=Count("id"), used=Count("id", filter=Q(used_at__isnull=False)),
                      expired=Count("id", filter=Q(used_at__isnull=True, valid_until__lte=now))))
    return {r["release_id"]: VoucherCounts(r["claimed"], r["used"], r["expired"]) for r in rows}
