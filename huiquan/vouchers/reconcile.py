"""Vouchers' reconcile checks: each release's counter against the vouchers issued and the
ledger (invariant 4); ``huiquan.reconcile`` runs every app's."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from huiquan.campaigns.selectors import funded_fen, release_balance, releases_of
from huiquan.core.money import format_yuan
from huiquan.vouchers.models import Voucher


def used_vouchers(campaign: Any) -> int:
    """How many of the campaign's vouchers have been used (redemptions' check)."""
    return Voucher.objects.filter(campaign=campaign, used_at__isnull=False).count()


def reconcile_vouchers(campaign: Any) -> list[tuple[str, bool, str]]:
    """Claimed = voucher count − remaining for every release; a confirmed release was funded
    with its amount, an unconfirmed one holds nothing, a returned one holds nothing."""
    issued = dict(Voucher.objects.filter(campaign=campaign).values("release_id")
                  .annotate(n=Count("id")).values_list("release_id", "n"))
    bad_releases = []
    releases = releases_of(campaign)
    for r in releases:
        claimed = issued.get(r.pk, 0)
        if claimed != (r.voucher_count or 0) - r.remaining_count:
            bad_releases.append(f"{r}: 已领 {claimed} 张 ≠ 总数 {r.voucher_count or 0} − 剩余 "
                                f"{r.remaining_count}")
        funded = funded_fen(r)
        if r.confirmed_at is None:
            if funded or release_balance(r):
                bad_releases.append(f"{r}: 未确认却有资金")
            continue
        if funded != r.amount_fen:
            bad_releases.append(f"{r}: 确认 {format_yuan(r.amount_fen or 0)} ≠ 投放 "
                                f"{format_yuan(funded)}")
        if r.voucher_count is None or not 0 <= r.remaining_count <= r.voucher_count:
            bad_releases.append(f"{r}: 剩余券数 {r.remaining_count} 超出 0..{r.voucher_count}")
        if r.returned_at is not None and release_balance(r) != 0:
            bad_releases.append(f"{r}: 已退回但批次账户仍有 {format_yuan(release_balance(r))}")
    return [("批次计数与账本一致", not bad_releases,
             "；".join(bad_releases[:10]) or f"{releases.count()} 个批次")]
