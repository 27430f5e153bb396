"""Till benchmark (issue 15). Never part of `make test`.

Each round starts the real server (`huiquan serve`, as `make run` does) on a fresh scratch
database with the demo world (approved, trained appliance merchants and the product register),
``--tills`` till users with bearer tokens, and N verified people each holding one voucher of ONE
release (written directly, as a claim writes them: ``common.issue_directly``). The release is
funded for N/2 sales and a leftover of less than one subsidy. Then wrk:

    hello · SALE · hello · (the rest of the pool moved out) · POOL EMPTY · hello

- SALE: every request scans a distinct voucher's live payment code (tills taking turns) and the
  pool holds more than the run can spend: every answer is a completed sale (201).
- Between the two, the release's money beyond the leftover goes back to its period (a ledger
  transfer, as an expiring release's return does), so the pool cannot pay one more subsidy.
- POOL EMPTY: every request a distinct voucher against the emptied pool (409 POOL_EXHAUSTED).

Ratios, each against the hello runs on either side of its run (``common.work_ratio``):
``R_sale`` = completed sales per second ÷ hello/s, ``R_pool_empty`` = POOL_EXHAUSTED answers per
second ÷ hello/s, each with p50/p99 and p99 ÷ hello p99. After every round: completed sales ≥
the 201s counted, the pool left with exactly its leftover, no pool account below zero, nobody
with two live sales, zero errors, nobody ran out of vouchers, `huiquan reconcile` green.

    .venv/bin/python bench/redeem.py                 # SQLite
    .venv/bin/python bench/redeem.py --postgres      # PostgreSQL + Redis
    .venv/bin/python bench/redeem.py --record        # also append to bench/RESULTS.md

Payment codes rotate every minute; they are computed just before each run from the vouchers'
secrets and the server's demo clock (huiquan.vouchers.paycode), and a code stays valid for the
current and the next minute, so each run (a few seconds) scans live codes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    OPENS,
    add_common_arguments,
    bearer_tokens,
    ensure_wrk,
    errors_in,
    funded_campaign,
    issue_directly,
    ratio_rows,
    reconcile_green,
    rounds,
    scratch_env,
    start_servers,
    stop_servers,
    verified_consumers,
    work_ratio,
    wrk,
)

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "wrk_redeem.lua"
AIRCON_GTIN = "6900000000014"  # grade-1 air conditioner of the sample register
PRICE_FEN = 10_000  # 100 yuan: subsidy 10 % = 1,000 fen; the consumer pays 9,000 (a plain charge)
SUBSIDY_FEN = PRICE_FEN // 10
LEFTOVER_FEN = 345  # what stays in the pool once emptied: less than one subsidy


def setup_database(args: argparse.Namespace, env: dict[str, str]) -> tuple[int, Path]:
    """Demo world, till users with tokens, N verified people each holding a voucher of release
    1; the release funded for N/2 sales and the leftover."""
    campaign, bureau = funded_campaign(env, demo_world=True)
    from django.db import connections

    from huiquan.campaigns.services import confirm_release
    from huiquan.core import clock
    from huiquan.core.models import User
    from huiquan.core.roles import Role
    from huiquan.merchants.models import Merchant, MerchantStaff

    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=args.consumers // 2 * SUBSIDY_FEN + LEFTOVER_FEN,
                    voucher_count=args.consumers, reason="benchmark release", actor=bureau)
    now = clock.now()
    shops = [m for m in Merchant.objects.filter(campaign=campaign).order_by("pk")
             if "appliance" in (m.categories or [])]
    tills = User.objects.bulk_create([
        User(username=f"till{i:04d}", role=Role.MERCHANT, phone=f"1370000{i:04d}")
        for i in range(args.tills)])
    MerchantStaff.objects.bulk_create([
        MerchantStaff(merchant=shops[i % len(shops)], user=user, name=f"收银员{i}")
        for i, user in enumerate(tills)])
    raw = bearer_tokens(tills, now)
    people = verified_consumers(args.consumers, now)
    from huiquan.consumers.models import Consumer

    release.refresh_from_db()
    issue_directly(release, list(Consumer.objects.filter(user__in=people).order_by("pk")
                                 .values_list("pk", flat=True)),
                   clock.parse_instant(OPENS))
    clock.unfreeze()  # from here on: the server's demo clock (var/demo-clock.json)
    connections.close_all()
    token_file = Path(env["HUIQUAN_VAR_DIR"]) / "tills.txt"
    token_file.write_text("\n".join(raw) + "\n")
    return release.pk, token_file


def write_codes(path: Path, vouchers: list) -> None:
    """Payment codes as the consumers' phones show them now, by the server's clock."""
    from huiquan.core import clock
    from huiquan.vouchers import paycode

    now = clock.now()
    path.write_text("".join(paycode.current_code(v, now) + "\n" for v in vouchers))


def empty_pool(release_id: int) -> int:
    """Everything in the release's pool beyond the leftover goes back to its period, in one
    ledger transfer (as an expiring release's return). Returns the amount moved."""
    from django.db import connections, transaction

    from huiquan.campaigns.models import Release
    from huiquan.campaigns.selectors import funding_sources, release_balance
    from huiquan.ledger.models import TxKind
    from huiquan.ledger.scopes import period_pool, release_pool
    from huiquan.ledger.services import transfer

    release = Release.objects.select_related("period").get(pk=release_id)
    amount = release_balance(release) - LEFTOVER_FEN
    with transaction.atomic():
        transfer(campaign=release.period.campaign_id, kind=TxKind.RELEASE_RETURN,
                 source_scope=release_pool(release), dest_scope=period_pool(release.period),
                 amount=amount, sources=funding_sources(release.period.campaign_id),
                 period=release.period_id, release=release, dedupe_key="bench-empty-pool",
                 memo="基准测试：批次余额退回周期（模拟其他收银台用完）")
    connections.close_all()
    return amount


def invariants(env: dict[str, str], release_id: int) -> dict[str, object]:
    from django.db.models import Count

    from huiquan.campaigns.models import Release
    from huiquan.campaigns.selectors import release_balance
    from huiquan.ledger.models import NEGATIVE_KINDS, Account
    from huiquan.redemptions.models import LIVE_STATES, Redemption, RedemptionState

    completed = Redemption.objects.filter(state=RedemptionState.COMPLETED).count()
    pending = Redemption.objects.filter(state=RedemptionState.PENDING).count()
    twice = (Redemption.objects.filter(state__in=LIVE_STATES).values("consumer")
             .annotate(n=Count("id")).filter(n__gt=1).count())
    negative = Account.objects.exclude(kind__in=NEGATIVE_KINDS).filter(balance_fen__lt=0).count()
    left = release_balance(Release.objects.get(pk=release_id))
    green, text = reconcile_green(env)
    return {"completed": completed, "pending": pending, "twice": twice, "negative": negative,
            "left": left, "reconcile": green, "reconcile_text": text}


def one_round(args: argparse.Namespace) -> dict:
    binary = ensure_wrk()
    var, env = scratch_env(args)
    started = time.monotonic()
    release_id, token_file = setup_database(args, env)
    print(f"setup: {args.consumers} vouchers, {args.tills} tills in "
          f"{time.monotonic() - started:.0f} s", flush=True)
    from huiquan.vouchers.models import Voucher

    vouchers = list(Voucher.objects.filter(release_id=release_id).order_by("pk"))
    half = len(vouchers) // 2
    servers, (base,) = start_servers(args, env)

    def redeem(n: int, part: list) -> dict:
        codes = var / f"codes{n}.txt"
        write_codes(codes, part)
        return wrk(binary, LUA, base, "redeem", args,
                   {"HQ_TOKENS": str(token_file), "HQ_CODES": str(codes), "HQ_RUN": str(n),
                    "HQ_GTIN": AIRCON_GTIN, "HQ_PRICE": str(PRICE_FEN)}, args.duration)

    try:
        wrk(binary, LUA, base, "hello", args, {}, 2)  # warm-up: workers load URLconf and API
        hello = [wrk(binary, LUA, base, "hello", args, {}, args.duration)]
        sale = redeem(0, vouchers[:half])
        time.sleep(1)  # let the server drain what wrk left queued before timing hello
        hello.append(wrk(binary, LUA, base, "hello", args, {}, args.duration))
        moved = empty_pool(release_id)
        refused = redeem(1, vouchers[half:])
        time.sleep(1)
        hello.append(wrk(binary, LUA, base, "hello", args, {}, args.duration))
    finally:
        stop_servers(servers)
    r_sale = work_ratio(sale, "COMPLETED", hello[0], hello[1])
    r_empty = work_ratio(refused, "POOL_EXHAUSTED", hello[1], hello[2])
    checks = invariants(env, release_id)
    errors = (errors_in([sale], {"COMPLETED"}) + errors_in([refused], {"POOL_EXHAUSTED"})
              + errors_in(hello, {"OK"}))
    counted = sale["codes"].get("COMPLETED", 0)
    rows = {
        "database": "PostgreSQL + Redis" if args.postgres else "SQLite (WAL)",
        **ratio_rows("R_sale", r_sale),
        **ratio_rows("R_pool_empty", r_empty),
        "answers (sale run)": sale["codes"],
        "answers (pool-empty run)": refused["codes"],
        "errors (any other answer, socket)": errors,
        "completed sales (201s counted)": f"{checks['completed']} ({counted})",
        "pending sales": checks["pending"],
        "moved out of the pool (fen)": moved,
        "release pool left (fen)": checks["left"],
        "pool accounts below zero": checks["negative"],
        "people with two live sales": checks["twice"],
        "huiquan reconcile": "green" if checks["reconcile"] else "RED",
    }
    ok = (errors == 0 and counted <= checks["completed"] <= counted + args.connections
          and checks["pending"] == 0 and checks["left"] == LEFTOVER_FEN
          and checks["negative"] == 0 and checks["twice"] == 0 and checks["reconcile"])
    if not ok:
        print(checks["reconcile_text"])
    shutil.rmtree(var, ignore_errors=True)
    return {"rows": rows, "ok": ok, "ratios": {
        "R_sale": r_sale["ratio"], "R_sale p99 ÷ hello p99": r_sale["p99_ratio"],
        "R_pool_empty": r_empty["ratio"], "R_pool_empty p99 ÷ hello p99": r_empty["p99_ratio"]}}


def main() -> None:
    parser = argparse.ArgumentParser()
    add_common_arguments(parser, port=8798)
    parser.add_argument("--consumers", type=int, default=24000,
                        help="N vouchers: half for the sale run, half for the pool-empty run")
    parser.add_argument("--tills", type=int, default=64)
    args = parser.parse_args()
    if args.json is None:
        sys.exit(rounds(args, Path(__file__), f"N={args.consumers} vouchers (half per run), "
                        f"{args.tills} tills, {args.connections} connections, "
                        f"{args.duration:g} s per run"))
    Path(args.json).write_text(json.dumps(one_round(args), ensure_ascii=False))


if __name__ == "__main__":
    main()
