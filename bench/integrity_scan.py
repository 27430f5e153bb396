"""Integrity scan benchmark (issue 14 item 6). Never part of `make test`.

On a scratch database (SQLite by default, ``--postgres`` for PostgreSQL) with the shipped
campaign and its demo merchants, N completed sales are written directly (bulk inserts: people,
vouchers, sales, lines — the till's own path is measured by bench/redeem.py), spread over the
shops and a campaign week, with a few patterns mixed in (bursts, night sales, prices under the
cap). Then ``huiquan.integrity.services.scan`` runs twice: the first stores the signals, the
second finds nothing new. Printed: time and number of SQL statements of each scan, and the
signals by kind. The statement count does not grow with N (tests/integrity pins it too).

    .venv/bin/python bench/integrity_scan.py --sales 10000
    .venv/bin/python bench/integrity_scan.py --sales 10000 --postgres --record
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from claim_rush import funded_campaign, scratch_env

ROOT = Path(__file__).resolve().parent.parent
AIRCON_GTIN = "6900000000014"


def build(campaign, sales: int) -> None:  # type: ignore[no-untyped-def]
    from huiquan.consumers.models import Consumer
    from huiquan.core import clock
    from huiquan.core.models import User
    from huiquan.core.roles import Role
    from huiquan.merchants.models import Merchant, MerchantState
    from huiquan.redemptions.models import Redemption, RedemptionLine
    from huiquan.vouchers.models import Voucher

    shops = list(Merchant.objects.filter(campaign=campaign, state=MerchantState.APPROVED))
    staff = User.objects.create_user(username="bench-till", role=Role.MERCHANT)
    release = campaign.periods.get(number=1).releases.get(number=1)
    start = clock.parse_instant("2024-06-21T10:00:00+08:00")
    rng = random.Random(14)
    users = User.objects.bulk_create([User(username=f"c1{n:010d}", role=Role.CONSUMER)
                                      for n in range(sales)], batch_size=2000)
    people = Consumer.objects.bulk_create([
        Consumer(user=u, phone=f"1{n:010d}", real_name="张三", id_hash=f"{n:064x}",
                 id_masked="1410**********0000", verified_at=start, created_at=start)
        for n, u in enumerate(users)], batch_size=2000)
    vouchers = Voucher.objects.bulk_create([
        Voucher(consumer=p, release=release, campaign=campaign, claimed_at=start,
                valid_until=start + timedelta(days=5), used_at=start, paycode_secret="x",
                paycode_handle=n + 1) for n, p in enumerate(people)], batch_size=2000)
    rows, lines = [], []
    for n, (person, voucher) in enumerate(zip(people, vouchers, strict=True)):
        shop = shops[n % len(shops)]
        # The campaign's six weeks, 10:00–22:00 (sales at 7 shops: a few an hour each).
        at = start + timedelta(days=rng.randrange(0, 40), minutes=rng.randrange(0, 12 * 60))
        price = rng.randrange(300_000, 1_500_000, 100)
        if n % 97 == 0:  # now and then: a price just under the cap's boundary
            price = 1_990_000
        if n % 211 == 0:  # a night sale
            at = at.replace(hour=2)
        subsidy = min(price // 10, campaign.subsidy_cap_fen)
        rows.append(Redemption(
            campaign=campaign, release=release, voucher=voucher, consumer=person, merchant=shop,
            staff=staff, state="completed", total_final_fen=price, eligible_final_fen=price,
            subsidy_fen=subsidy, consumer_pays_fen=price - subsidy, payment_key=f"bench-{n}",
            created_at=at, completed_at=at))
    rows = Redemption.objects.bulk_create(rows, batch_size=2000)
    for sale in rows:
        lines.append(RedemptionLine(redemption=sale, position=1, gtin=AIRCON_GTIN,
                                    description="家用空调", quantity=1,
                                    unit_price_fen=sale.total_final_fen, discount_fen=0,
                                    final_fen=sale.total_final_fen, eligible=True))
    RedemptionLine.objects.bulk_create(lines, batch_size=2000)


def measure(campaign) -> tuple[float, int, object]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from huiquan.integrity.services import scan

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        report = scan(campaign=campaign)
        seconds = time.perf_counter() - began
    return seconds, len(queries), report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    _, env = scratch_env(args.postgres)
    campaign, _ = funded_campaign(env, demo_world=True)
    from django.db import connection

    began = time.perf_counter()
    build(campaign, args.sales)
    built = time.perf_counter() - began
    first_s, first_q, first = measure(campaign)
    again_s, again_q, again = measure(campaign)
    import django

    rows = {
        "database": "PostgreSQL" if connection.vendor == "postgresql" else "SQLite (WAL)",
        "sales (bulk-inserted)": f"{args.sales} in {built:.1f} s",
        "first scan (stores signals)": f"{first_s * 1000:.0f} ms, {first_q} statements, "
                                       f"{first.created} signals",  # type: ignore[attr-defined]
        "second scan (nothing new)": f"{again_s * 1000:.0f} ms, {again_q} statements, "
                                     f"{again.created} new, {again.unchanged} unchanged",  # type: ignore[attr-defined]
        "signals by kind": ", ".join(f"{k} {n}" for k, n in sorted(
            first.by_kind.items())),  # type: ignore[attr-defined]
    }
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        print(f"{key.ljust(width)}  {value}")
    if args.record:
        import datetime

        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write(f"\n### integrity_scan — {rows['database']} — {datetime.date.today()}\n\n"
                      f"Python {sys.version.split()[0]}, Django {django.get_version()}, 2 cores; "
                      f"`bench/integrity_scan.py --sales {args.sales}"
                      f"{' --postgres' if args.postgres else ''}`.\n\n| measure | value |\n|---|---|\n")
            for key, value in rows.items():
                out.write(f"| {key} | {value} |\n")
    return 0 if not (first.failed or again.failed) and again.created == 0 else 1  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
