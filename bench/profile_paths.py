"""Where a claim and a sale spend their time, in process (issue 15, item 2). Never part of
`make test`.

Builds the scratch world of the benchmarks (common.py) on SQLite or PostgreSQL + Redis, then
sends requests through Django's WSGI handler one at a time (no network, no other process):
``--requests`` claims that issue, sold-out claims, completed sales and empty-pool refusals.
Prints, per kind: milliseconds per request, the queries of one request (with their SQL), the
time inside write transactions, and cProfile's top functions by own time and cumulative time.

    .venv/bin/python bench/profile_paths.py [--postgres] [--requests 300] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    OPENS,
    add_common_arguments,
    bearer_tokens,
    funded_campaign,
    issue_directly,
    scratch_env,
    verified_consumers,
)

AIRCON_GTIN = "6900000000014"
PRICE_FEN = 10_000


def world(args: argparse.Namespace, env: dict[str, str]) -> dict:
    campaign, bureau = funded_campaign(env, demo_world=True)
    from huiquan.campaigns.services import confirm_release
    from huiquan.consumers.models import Consumer
    from huiquan.core import clock
    from huiquan.core.models import User
    from huiquan.core.roles import Role
    from huiquan.merchants.models import Merchant, MerchantStaff

    n = args.requests
    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=4 * n * 1000 + 345, voucher_count=4 * n,
                    reason="profile", actor=bureau)
    now = clock.now()
    people = verified_consumers(4 * n, now)
    tokens = bearer_tokens(people, now)
    shop = next(m for m in Merchant.objects.filter(campaign=campaign).order_by("pk")
                if "appliance" in (m.categories or []))
    till = User.objects.create(username="till-profile", role=Role.MERCHANT, phone="13700009999")
    MerchantStaff.objects.create(merchant=shop, user=till, name="收银员")
    till_token = bearer_tokens([till], now)[0]
    release.refresh_from_db()
    ids = list(Consumer.objects.filter(user__in=people[2 * n:]).order_by("pk")
               .values_list("pk", flat=True))
    issue_directly(release, ids, clock.parse_instant(OPENS))
    clock.freeze(clock.parse_instant(OPENS))
    return {"release": release, "tokens": tokens, "till": till_token}


def main() -> None:
    parser = argparse.ArgumentParser()
    add_common_arguments(parser, port=0)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    _, env = scratch_env(args)
    w = world(args, env)
    from django.db import connection
    from django.test import Client

    from huiquan.core import clock
    from huiquan.core.warmup import warm_up
    from huiquan.vouchers import paycode
    from huiquan.vouchers.models import Voucher

    warm_up()
    client = Client()
    n, release = args.requests, w["release"]
    claim_url = f"/api/v1/releases/{release.pk}/claims"
    body = '{"lat": 36.08, "lng": 111.52, "coord_system": "wgs84"}'

    def claim(i: int) -> object:
        return client.post(claim_url, body, content_type="application/json",
                           headers={"Authorization": f"Bearer {w['tokens'][i]}"})

    held = list(Voucher.objects.filter(release=release).order_by("pk"))

    def sale(i: int) -> object:
        code = paycode.current_code(held[i], clock.now())
        return client.post("/api/v1/merchant/redemptions",
                           f'{{"payment_code": "{code}", "lines": [{{"gtin": "{AIRCON_GTIN}", '
                           f'"quantity": 1, "unit_price_fen": {PRICE_FEN}, "discount_fen": 0}}]}}',
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {w['till']}"})

    def sell_out() -> None:
        from huiquan.campaigns.models import Release

        rel = Release.objects.select_related("period").get(pk=release.pk)
        from huiquan.consumers.models import Consumer

        holders = Voucher.objects.values("consumer_id")
        ids = list(Consumer.objects.exclude(pk__in=holders).order_by("pk")
                   .values_list("pk", flat=True)[:rel.remaining_count])
        issue_directly(rel, ids, clock.now())
        from huiquan.vouchers import gate

        rel.refresh_from_db()
        if gate.enabled():
            gate.sync(rel)

    def empty_pool() -> None:
        import redeem

        redeem.empty_pool(release.pk)

    kinds = [("issuing claim", claim, 0, 201, None),
             ("sold-out claim", claim, n, 409, sell_out),
             ("completed sale", sale, 0, 201, None),
             ("empty-pool refusal", sale, n, 409, empty_pool)]
    for name, send, offset, status, before in kinds:
        if before is not None:
            before()
        send(offset)  # the first of its kind: caches, memos
        queries: list[str] = []

        def log(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(log):
            response = send(offset + 1)
        assert response.status_code == status, (name, response.status_code, response.content)
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for i in range(offset + 2, offset + n):
            response = send(i)
            assert response.status_code == status, (name, response.content)
        profile.disable()
        ms = (time.perf_counter() - started) * 1000 / (n - 2)
        print(f"\n=== {name}: {ms:.2f} ms per request (cProfile on), "
              f"{len(queries)} queries ===")
        for q in queries:
            print(f"  {q[:240]}")
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
            text = out.getvalue()
            print(text[text.find("   ncalls"):])


if __name__ == "__main__":
    main()
