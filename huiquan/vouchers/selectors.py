"""Reads about vouchers and what a release has left (R-ROLE-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huiquan.campaigns import selectors as campaign_selectors
from huiquan.campaigns.models import Campaign, Release
from huiquan.core import clock, sql
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


def voucher_state(voucher: Voucher, now: datetime | None = None) -> str:
    now = now or clock.now()
    if voucher.used_at is not None:
        return "used"
    return "valid" if now < voucher.valid_until else "expired"


VOUCHER_LABELS = {"used": "已使用", "valid": "可使用", "expired": "已过期"}


def vouchers_of(consumer: Any) -> list[Voucher]:
    return list(Voucher.objects.filter(consumer=consumer).select_related("release__period")
                .order_by("-claimed_at"))


def live_voucher(consumer: Any) -> Voucher | None:
    now = clock.now()
    return (Voucher.objects.filter(consumer=consumer, used_at__isnull=True, valid_until__gt=now)
            .select_related("release__period").order_by("-claimed_at").first())


def release_public(release: Release, now: datetime | None = None) -> dict[str, Any]:
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
        if release.confirmed_at else 0,
    }


def releases_public(campaign: Campaign) -> list[dict[str, Any]]:
    now = clock.now()
    return [release_public(r, now) for r in
            Release.objects.filter(period__campaign=campaign).select_related("period")
            .order_by("opens_at")]


def next_or_open_release(campaign: Campaign) -> dict[str, Any] | None:
    """The release a visitor cares about now: the open one, else the next one to open."""
    rows = releases_public(campaign)
    for state in ("open", "sold_out"):
        for row in rows:
            if row["state"] == state:
                return row
    upcoming = [r for r in rows if r["state"] == "upcoming"]
    return upcoming[0] if upcoming else None
