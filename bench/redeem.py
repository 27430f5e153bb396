"""Till rush benchmark (issue 5, item 7). Never part of `make test`. Modelled on claim_rush.py.

Starts the real server (`huiquan serve`, as `make run` does) on a scratch database; in a setup
step it builds the demo world (approved, trained merchants and the appliance register), many
till users of the appliance merchants, N verified consumers who each claim one voucher of ONE
release, and funds that release for only K redemptions (nearly empty). Then wrk alternates runs
against the no-database endpoint /healthz and POST /api/v1/merchant/redemptions — every request
a distinct voucher, tills taking turns — and prints ratios measured in this one run:
redemption answers/s ÷ hello/s and p99 ÷ hello p99, each redeem run against the hello runs on
either side of it (the host's speed drifts), for the run that empties the pool and (median of
three) against the empty pool, with the answers (201 completed, 409 POOL_EXHAUSTED, anything
else an error). Finally: `huiquan reconcile` is green (no pool account negative), nobody has two live
redemptions, exactly K completed. Exits non-zero on any error or broken invariant.

    .venv/bin/python bench/redeem.py                 # SQLite
    .venv/bin/python bench/redeem.py --postgres      # PostgreSQL + Redis
    .venv/bin/python bench/redeem.py --record        # also append to bench/RESULTS.md

Each invocation makes ``--rounds`` (default 3) rounds, each on a fresh database and server (a
child process), and reports every round and the median of each ratio: the pool empties once per
database, and that run's ratio swings with the host's speed.

Payment codes rotate every minute; they are computed just before each run from the vouchers'
secrets and the server's demo clock (huiquan.vouchers.paycode), and a code stays valid for the
current and the next minute, so each run (a few seconds) scans live codes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from claim_rush import (
    OPENS,
    bearer_tokens,
    ensure_wrk,
    funded_campaign,
    rounds,
    scratch_env,
    start_server,
    verified_consumers,
)

ROOT = Path(__file__).resolve().parent.parent
AIRCON_GTIN = "6900000000014"  # grade-1 air conditioner of the sample register
PRICE_FEN = 500_000  # 5,000 yuan: subsidy 10% = 50,000 fen, under the 2,000-yuan cap
SUBSIDY_FEN = PRICE_FEN // 10
LEFTOVER_FEN = 12_345  # what stays in the pool after K redemptions: less than one subsidy

LUA = r"""
-- HQ_MODE=hello: GET /healthz. HQ_MODE=redeem: POST a redemption; thread tid scans the payment
-- codes tid, tid+n, tid+2n, ... of HQ_CODES (each once), tills (HQ_TOKENS) taking turns.
local mode = os.getenv("HQ_MODE") or "hello"
local nthreads = tonumber(os.getenv("HQ_THREADS") or "1")
local run = os.getenv("HQ_RUN") or "0"
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  codes, tokens, paycodes, counter = {}, {}, {}, 0
  if mode == "redeem" then
    for line in io.lines(os.getenv("HQ_TOKENS")) do tokens[#tokens + 1] = line end
    local i = 0
    for line in io.lines(os.getenv("HQ_CODES")) do
      if i % nthreads == tid then paycodes[#paycodes + 1] = line end
      i = i + 1
    end
  end
end

function request()
  if mode == "hello" then return wrk.format("GET", "/healthz") end
  counter = counter + 1
  if counter > #paycodes then  -- out of vouchers: never scan one twice (counted as RAN_OUT)
    return wrk.format("GET", "/healthz")
  end
  local token = tokens[((counter * nthreads + tid) % #tokens) + 1]
  local body = '{"payment_code": "' .. paycodes[counter] .. '", "lines": [{"gtin": "' ..
    os.getenv("HQ_GTIN") .. '", "quantity": 1, "unit_price_fen": ' .. os.getenv("HQ_PRICE") ..
    ', "discount_fen": 0}]}'
  return wrk.format("POST", "/api/v1/merchant/redemptions",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json",
     ["Idempotency-Key"] = "bench-" .. run .. "-" .. tid .. "-" .. counter}, body)
end

function response(status, headers, resp_body)
  local code
  if status == 200 then code = (mode == "hello") and "OK" or "RAN_OUT"
  elseif status == 201 then code = "COMPLETED"
  else code = string.match(resp_body, '"code": *"([A-Z_]+)"') or ("HTTP_" .. status) end
  codes[code] = (codes[code] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("codes")) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  io.write(string.format(
    'HQRESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "codes": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""


def setup_database(args: argparse.Namespace, env: dict[str, str]) -> tuple[int, Path]:
    """Demo world, till users with tokens, N verified consumers (rows written directly, as in
    claim_rush) each holding one voucher of release 1 claimed through the real claim service;
    the release is funded for K redemptions only."""
    campaign, bureau = funded_campaign(env, demo_world=True)
    from django.db import connections

    from huiquan.campaigns.services import confirm_release
    from huiquan.consumers.models import Consumer
    from huiquan.core import clock
    from huiquan.core.models import User
    from huiquan.core.roles import Role
    from huiquan.merchants.models import Merchant, MerchantStaff
    from huiquan.vouchers.services import claim_voucher

    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=args.budget * SUBSIDY_FEN + LEFTOVER_FEN,
                    voucher_count=args.consumers, reason="benchmark: a nearly empty release",
                    actor=bureau)
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
    verified_consumers(args.consumers, now)
    clock.freeze(clock.parse_instant(OPENS))
    for consumer in Consumer.objects.order_by("pk"):
        claim_voucher(consumer=consumer, release_id=release.pk, lat=36.08, lng=111.52,
                      coord_system="wgs84")
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


EMPTY_RUNS = 3


def _line(run: dict) -> str:
    return (f"{run['rps']:7.0f}/s  p50 {run['p50_us'] / 1000:6.1f} ms  "
            f"p99 {run['p99_us'] / 1000:7.1f} ms  {run['codes']}")


def _merged(runs: list[dict]) -> dict[str, int]:
    total: dict[str, int] = {}
    for run in runs:
        for code, count in run["codes"].items():
            total[code] = total.get(code, 0) + count
    return total


def wrk(binary: str, lua: Path, url: str, mode: str, args: argparse.Namespace,
        extra: dict[str, str], duration: float) -> dict:
    out = subprocess.run(
        [binary, "-t", str(args.threads), "-c", str(args.connections), "-d", f"{duration}s",
         "--latency", "-s", str(lua), url],
        capture_output=True, text=True, check=True,
        env={**os.environ, "HQ_MODE": mode, "HQ_THREADS": str(args.threads), **extra}).stdout
    line = next(x for x in out.splitlines() if x.startswith("HQRESULT "))
    result = json.loads(line.removeprefix("HQRESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis")
    parser.add_argument("--consumers", type=int, default=48000, help="vouchers, split over runs")
    parser.add_argument("--budget", type=int, default=100, help="K: redemptions the pool pays")
    parser.add_argument("--tills", type=int, default=64)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="fresh database per round")
    parser.add_argument("--json", help=argparse.SUPPRESS)  # one round, its figures to this file
    args = parser.parse_args()
    if args.json is None:
        sys.exit(rounds(args, Path(__file__), f"N={args.consumers} vouchers (a quarter per "
                        f"redeem run), K={args.budget} redemptions funded, {args.tills} tills, "
                        f"{args.connections} connections, {args.duration:g} s per run"))
    binary = ensure_wrk()
    var, env = scratch_env(args.postgres)
    lua = var / "wrk_redeem.lua"
    lua.write_text(LUA)
    started = time.monotonic()
    release_id, token_file = setup_database(args, env)
    print(f"setup: {args.consumers} vouchers, {args.tills} tills in "
          f"{time.monotonic() - started:.0f} s", flush=True)

    from django.db.models import Count

    from huiquan.campaigns.models import Release
    from huiquan.campaigns.selectors import release_balance
    from huiquan.ledger.models import NEGATIVE_KINDS, Account
    from huiquan.redemptions.models import LIVE_STATES, Redemption, RedemptionState
    from huiquan.vouchers.models import Voucher

    vouchers = list(Voucher.objects.filter(release_id=release_id).order_by("pk"))
    # One run empties the pool, then three against the empty pool; hello runs in between.
    share = len(vouchers) // (1 + EMPTY_RUNS)
    slices = [vouchers[i * share:(i + 1) * share] for i in range(1 + EMPTY_RUNS)]
    server, base = start_server(args, env)
    runs = []
    try:
        wrk(binary, lua, base, "hello", args, {}, 3)  # warm-up: workers load URLconf and API
        hello = [wrk(binary, lua, base, "hello", args, {}, args.duration)]
        for n, part in enumerate(slices):
            codes = var / f"codes{n}.txt"
            write_codes(codes, part)
            runs.append(wrk(binary, lua, base, "redeem", args,
                            {"HQ_TOKENS": str(token_file), "HQ_CODES": str(codes),
                             "HQ_RUN": str(n), "HQ_GTIN": AIRCON_GTIN,
                             "HQ_PRICE": str(PRICE_FEN)}, args.duration))
            time.sleep(2)  # let the server drain what wrk left queued before timing hello
            hello.append(wrk(binary, lua, base, "hello", args, {}, args.duration))
    finally:
        server.terminate()
        server.wait(timeout=30)

    for n, run in enumerate(runs):
        print(f"  {'hello':<26} {_line(hello[n])}")
        print(f"  {'redeem (pool emptying)' if n == 0 else 'redeem (empty pool)':<26} {_line(run)}")
    print(f"  {'hello':<26} {_line(hello[-1])}")
    # Each redeem run against the hello runs on either side of it: the machine's speed drifts
    # over a benchmark (other tenants of the host), and a ratio should compare neighbours.
    ratios = [(run["rps"] / ((hello[n]["rps"] + hello[n + 1]["rps"]) / 2),
               run["p99_us"] / max(hello[n]["p99_us"], hello[n + 1]["p99_us"]))
              for n, run in enumerate(runs)]
    rush = runs[0]
    empty_rps, empty_p99 = (statistics.median(r[0] for r in ratios[1:]),
                            statistics.median(r[1] for r in ratios[1:]))
    hello_rps = sum(h["rps"] for h in hello) / len(hello)
    hello_p99 = max(h["p99_us"] for h in hello)
    answers = _merged(runs)
    errors = sum(v for k, v in answers.items() if k not in {"COMPLETED", "POOL_EXHAUSTED"})
    errors += sum(r["socket_errors"] for r in runs)
    completed = Redemption.objects.filter(state=RedemptionState.COMPLETED).count()
    twice = (Redemption.objects.filter(state__in=LIVE_STATES).values("consumer")
             .annotate(n=Count("id")).filter(n__gt=1).count())
    negative = Account.objects.exclude(kind__in=NEGATIVE_KINDS).filter(balance_fen__lt=0).count()
    left = release_balance(Release.objects.get(pk=release_id))
    reconcile = subprocess.run([str(ROOT / ".venv/bin/huiquan"), "reconcile"],
                               env={**os.environ, **env}, capture_output=True, text=True)
    rows = {
        "database": "PostgreSQL + Redis" if args.postgres else "SQLite (WAL)",
        f"hello/s (mean of {len(hello)} runs)": round(hello_rps),
        f"hello p99 ms (worst of {len(hello)} runs)": round(hello_p99 / 1000, 1),
        "redemption answers/s (pool emptying)": round(rush["rps"]),
        "p50 / p99 ms (pool emptying)": f"{rush['p50_us'] / 1000:.1f} / "
                                        f"{rush['p99_us'] / 1000:.1f}",
        "R_redeem = redemptions/s ÷ hello/s (neighbouring runs)": round(ratios[0][0], 2),
        "p99 ÷ hello p99 (neighbouring runs)": round(ratios[0][1], 2),
        f"empty pool: answers/s ÷ hello/s (median of {EMPTY_RUNS})": round(empty_rps, 2),
        f"empty pool: p99 ÷ hello p99 (median of {EMPTY_RUNS})": round(empty_p99, 2),
        "answers (pool emptying)": rush["codes"],
        "answers (empty pool, all runs)": _merged(runs[1:]),
        "errors (not 201/POOL_EXHAUSTED, socket)": errors,
        "completed redemptions / K": f"{completed} / {args.budget}",
        "release pool left (fen)": left,
        "pool accounts below zero": negative,
        "people with two live redemptions": twice,
        "huiquan reconcile": "green" if reconcile.returncode == 0 else "RED",
    }
    # (a 201 still on the wire when a run's time is up is in the database, not in wrk's count)
    ok = (errors == 0 and answers.get("COMPLETED", 0) <= completed == args.budget
          and left == LEFTOVER_FEN and negative == 0 and twice == 0
          and reconcile.returncode == 0)
    if not ok:
        print(reconcile.stdout.rstrip() or reconcile.stderr.rstrip())
    figures = {"rows": rows, "ok": ok, "ratios": {
        "R_redeem = redemptions/s ÷ hello/s (pool emptying)": ratios[0][0],
        "p99 ÷ hello p99 (pool emptying)": ratios[0][1],
        f"empty pool: answers/s ÷ hello/s (median of {EMPTY_RUNS} runs)": empty_rps,
        f"empty pool: p99 ÷ hello p99 (median of {EMPTY_RUNS} runs)": empty_p99}}
    Path(args.json).write_text(json.dumps(figures, ensure_ascii=False))
    shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
