"""Release-day claim benchmark (issue 15). Never part of `make test`.

Each round starts the real server (`huiquan serve`, as `make run` does) on a fresh scratch
database with N verified people (bearer tokens) and a release of N vouchers, then runs wrk:

    hello · ISSUE · hello · (the rest of the release taken) · SOLD OUT · hello

- ISSUE: every request is a first claim by a person who has not asked before, and the release
  holds more vouchers than the run can take: every answer is a voucher issued (201).
- Between the two, the rest of the release is issued directly in the database (as other
  claimants would have taken it; ``common.issue_directly``), so the release is sold out.
- SOLD OUT: every request a claim by a distinct person against the sold-out release (409).

Ratios, each against the hello runs on either side of its run (``common.work_ratio``):
``R_issue`` = vouchers issued per second ÷ hello/s, ``R_sold_out`` = sold-out answers per second
÷ hello/s, each with p50/p99 and p99 ÷ hello p99. After every round: vouchers issued = what the
release's counter says (and ≥ the 201s counted), nobody holds two, zero errors (anything but
the run's own answer, socket errors), nobody ran out of people, `huiquan reconcile` green.

    .venv/bin/python bench/claim_rush.py                    # SQLite
    .venv/bin/python bench/claim_rush.py --postgres         # PostgreSQL + Redis gate
    .venv/bin/python bench/claim_rush.py --record           # also append to bench/RESULTS.md
    .venv/bin/python bench/claim_rush.py --postgres --servers 2 --vouchers 1500

``--servers N`` (PostgreSQL + Redis only): N independent servers on ports port … port+N−1
sharing one database and one Redis; a release of K = ``--vouchers``; wrk fires at all of them at
once, every server cycling through all N people from its own offset (the same person asks on
two servers at the same moment): exactly K issued, nobody twice, reconcile green.

Needs wrk (Debian package `wrk`; installed here when missing and run as root).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    add_common_arguments,
    bearer_tokens,
    ensure_wrk,
    errors_in,
    funded_campaign,
    issue_directly,
    parse_wrk,
    ratio_rows,
    reconcile_green,
    rounds,
    scratch_env,
    start_servers,
    stop_servers,
    verified_consumers,
    work_ratio,
    wrk,
    wrk_command,
)

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "wrk_claims.lua"


def setup_database(args: argparse.Namespace, env: dict[str, str], vouchers: int
                   ) -> tuple[int, Path]:
    """Campaign, received funds, a release of ``vouchers``, N verified people with tokens."""
    campaign, bureau = funded_campaign(env)
    from django.db import connections

    from huiquan.campaigns.services import confirm_release
    from huiquan.core import clock

    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=300_000_00, voucher_count=vouchers,
                    reason="benchmark release", actor=bureau)
    now = clock.now()
    users = verified_consumers(args.consumers, now)
    raw = bearer_tokens(users, now)
    connections.close_all()
    token_file = Path(env["HUIQUAN_VAR_DIR"]) / "tokens.txt"
    token_file.write_text("\n".join(raw) + "\n")
    return release.pk, token_file


def sell_out(release_id: int) -> int:
    """The rest of the release issued directly to people without a voucher (other claimants);
    the Redis gate's copy re-synced. Returns how many."""
    from django.db import connections

    from huiquan.campaigns.models import Release
    from huiquan.consumers.models import Consumer
    from huiquan.core import clock
    from huiquan.vouchers import gate
    from huiquan.vouchers.models import Voucher

    release = Release.objects.select_related("period").get(pk=release_id)
    holders = Voucher.objects.values("consumer_id")
    takers = list(Consumer.objects.exclude(pk__in=holders).order_by("pk")
                  .values_list("pk", flat=True)[:release.remaining_count])
    issue_directly(release, takers, clock.now())
    release.refresh_from_db()
    if gate.enabled():
        gate.sync(release)
    connections.close_all()
    return len(takers)


def invariants(args: argparse.Namespace, env: dict[str, str], release_id: int
               ) -> dict[str, object]:
    from django.db.models import Count

    from huiquan.campaigns.models import Release
    from huiquan.vouchers.models import Voucher

    release = Release.objects.get(pk=release_id)
    issued = Voucher.objects.filter(release_id=release_id).count()
    twice = Voucher.objects.values("consumer").annotate(n=Count("id")).filter(n__gt=1).count()
    green, _ = reconcile_green(env)
    return {"issued": issued, "counter": (release.voucher_count or 0) - release.remaining_count,
            "twice": twice, "reconcile": green}


def one_round(args: argparse.Namespace) -> dict:
    binary = ensure_wrk()
    var, env = scratch_env(args)
    release_id, token_file = setup_database(args, env, args.consumers)
    servers, (base,) = start_servers(args, env)
    claim_env = {"HQ_TOKENS": str(token_file), "HQ_RELEASE": str(release_id)}
    try:
        wrk(binary, LUA, base, "hello", args, {}, 2)  # warm-up: workers load URLconf and API
        hello = [wrk(binary, LUA, base, "hello", args, {}, args.duration)]
        issue = wrk(binary, LUA, base, "each", args, claim_env, args.duration)
        hello.append(wrk(binary, LUA, base, "hello", args, {}, args.duration))
        from huiquan.vouchers.models import Voucher

        issued_in_run = Voucher.objects.filter(release_id=release_id).count()
        sold_to_others = sell_out(release_id)
        sold_out = wrk(binary, LUA, base, "each", args, claim_env, args.duration)
        hello.append(wrk(binary, LUA, base, "hello", args, {}, args.duration))
    finally:
        stop_servers(servers)
    r_issue = work_ratio(issue, "CLAIMED", hello[0], hello[1])
    r_sold = work_ratio(sold_out, "SOLD_OUT", hello[1], hello[2])
    checks = invariants(args, env, release_id)
    errors = (errors_in([issue], {"CLAIMED"}) + errors_in([sold_out], {"SOLD_OUT"})
              + errors_in(hello, {"OK"}))
    claimed = issue["codes"].get("CLAIMED", 0)
    rows = {
        "database": "PostgreSQL + Redis gate" if args.postgres else "SQLite (WAL)",
        **ratio_rows("R_issue", r_issue),
        **ratio_rows("R_sold_out", r_sold),
        "answers (issue run)": issue["codes"],
        "answers (sold-out run)": sold_out["codes"],
        "errors (any other answer, socket)": errors,
        "issued in the issue run (201s counted)": f"{issued_in_run} ({claimed})",
        "vouchers issued / counter / release": f"{checks['issued']} / {checks['counter']} / "
                                               f"{args.consumers} ({sold_to_others} directly)",
        "people with two vouchers": checks["twice"],
        "huiquan reconcile": "green" if checks["reconcile"] else "RED",
    }
    ok = (errors == 0 and checks["twice"] == 0 and checks["reconcile"]
          and checks["issued"] == checks["counter"] == args.consumers
          and claimed <= issued_in_run <= claimed + args.connections)
    shutil.rmtree(var, ignore_errors=True)
    return {"rows": rows, "ok": ok, "ratios": {
        "R_issue": r_issue["ratio"], "R_issue p99 ÷ hello p99": r_issue["p99_ratio"],
        "R_sold_out": r_sold["ratio"], "R_sold_out p99 ÷ hello p99": r_sold["p99_ratio"]}}


def wrk_all(binary: str, bases: list[str], mode: str, args: argparse.Namespace,
            extra: dict[str, str]) -> list[dict]:
    """The same wrk run against every server at once (one wrk process each)."""
    procs = [subprocess.Popen(wrk_command(binary, LUA, base, args, args.duration),
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "HQ_MODE": mode, "HQ_THREADS": str(args.threads),
                                   "HQ_PART": str(n), "HQ_PARTS": str(len(bases)), **extra})
             for n, base in enumerate(bases)]
    return [parse_wrk(proc.communicate()[0]) for proc in procs]


def servers_round(args: argparse.Namespace) -> dict:
    """``--servers N``: one release of K, N servers, one rush at all of them at once."""
    binary = ensure_wrk()
    var, env = scratch_env(args)
    release_id, token_file = setup_database(args, env, args.vouchers)
    servers, bases = start_servers(args, env, args.servers)
    claim_env = {"HQ_TOKENS": str(token_file), "HQ_RELEASE": str(release_id)}
    try:
        wrk_all(binary, bases, "hello", args, {})  # warm-up
        hello = wrk_all(binary, bases, "hello", args, {})
        rush = wrk_all(binary, bases, "cycle", args, claim_env)
    finally:
        stop_servers(servers)
    checks = invariants(args, env, release_id)
    codes: dict[str, int] = {}
    for run in rush:
        for code, count in run["codes"].items():
            codes[code] = codes.get(code, 0) + count
    errors = errors_in(rush, {"CLAIMED", "SOLD_OUT", "ALREADY_CLAIMED"}) + errors_in(hello, {"OK"})
    hello_rps = sum(h["rps"] for h in hello)
    rush_rps = sum(r["rps"] for r in rush)
    rows = {
        "database": f"PostgreSQL + Redis gate, {args.servers} servers",
        "hello/s, all servers at once": round(hello_rps),
        "claim answers/s, all servers at once": round(rush_rps),
        "answers per server": [r["codes"] for r in rush],
        "answers, all servers": codes,
        "errors (any other answer, socket)": errors,
        "vouchers issued / K": f"{checks['issued']} / {args.vouchers}",
        "201s counted": codes.get("CLAIMED", 0),
        "people with two vouchers": checks["twice"],
        "huiquan reconcile": "green" if checks["reconcile"] else "RED",
    }
    ok = (errors == 0 and checks["twice"] == 0 and checks["reconcile"]
          and checks["issued"] == checks["counter"] == args.vouchers
          and codes.get("CLAIMED", 0) == args.vouchers)
    shutil.rmtree(var, ignore_errors=True)
    return {"rows": rows, "ok": ok,
            "ratios": {"claim answers/s ÷ hello/s (all servers)": rush_rps / hello_rps}}


def main() -> None:
    parser = argparse.ArgumentParser()
    add_common_arguments(parser, port=8799)
    parser.add_argument("--consumers", type=int, default=20000,
                        help="N people (and, without --servers, N vouchers)")
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--vouchers", type=int, default=1500, help="K (with --servers)")
    args = parser.parse_args()
    if args.servers > 1 and not args.postgres:
        sys.exit("--servers needs --postgres (servers share one database and one Redis)")
    if args.json is None:
        setting = (f"N={args.consumers} people, {args.servers} servers, K={args.vouchers}"
                   if args.servers > 1 else f"N={args.consumers} people and vouchers")
        sys.exit(rounds(args, Path(__file__), f"{setting}, {args.connections} connections, "
                        f"{args.duration:g} s per run"))
    figures = servers_round(args) if args.servers > 1 else one_round(args)
    Path(args.json).write_text(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
