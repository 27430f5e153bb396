"""Release-day rush benchmark (issue: consumers). Never part of `make test`.

Starts the real server (`huiquan serve`, as `make run` does) on a scratch database, creates N
verified consumers and a release of K < N vouchers, then alternates wrk runs against the
no-database endpoint /healthz and the claim endpoint, and prints ratios measured in this one
run: claims/s ÷ hello/s (R_claim), p99 ÷ hello p99, sold-out answers/s ÷ hello/s. Finally it
checks that exactly K vouchers exist, nobody has two, and `huiquan reconcile` is green.

    .venv/bin/python bench/claim_rush.py                 # SQLite
    .venv/bin/python bench/claim_rush.py --postgres      # PostgreSQL + Redis gate
    .venv/bin/python bench/claim_rush.py --record        # also append to bench/RESULTS.md

Each invocation makes ``--rounds`` (default 3) rounds, each on a fresh database and a fresh
server (a child process of this script), and reports every round and the median of the ratios:
a single rush lasts a fraction of a second, and its p99 swings with the host's speed.

Needs wrk (Debian package `wrk`; installed here when missing and run as root).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "wrk_claims.lua"
OPENS = "2024-06-21T10:00:00+08:00"


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return shutil.which("wrk") or sys.exit("wrk could not be installed")
    sys.exit("wrk is needed: apt-get install wrk")


def verified_consumers(count: int, now: datetime) -> list:
    """``count`` users with verified consumer rows, written directly: sign-up and real-name
    checks have their own tests; a benchmark only needs many real people in the database."""
    from stdnum.cn import ric

    from huiquan.consumers import crypto
    from huiquan.consumers.models import Consumer
    from huiquan.core.models import User
    from huiquan.core.roles import Role

    users = User.objects.bulk_create([
        User(username=f"c1{i:010d}", role=Role.CONSUMER, phone=f"1{i:010d}")
        for i in range(count)])
    consumers = []
    for i, user in enumerate(users):
        number = f"1410311990{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        number += ric.calc_check_digit(number + "0")
        consumers.append(Consumer(user=user, phone=user.phone, real_name="测试",
                                  id_cipher=crypto.encrypt_id(number),
                                  id_hash=crypto.hash_id(f"{number}-{i}"),
                                  id_masked=crypto.mask_id(number), verified_at=now,
                                  created_at=now))
    Consumer.objects.bulk_create(consumers)
    return users


def bearer_tokens(users: list, now: datetime) -> list[str]:
    """A bearer token for each user, valid until 2030 (raw strings; only hashes are stored)."""
    from huiquan.consumers import crypto
    from huiquan.consumers.models import ApiToken
    from huiquan.consumers.services import issue_token_string

    raw = [issue_token_string(user.pk, now.replace(year=2030)) for user in users]
    ApiToken.objects.bulk_create([
        ApiToken(user=user, key_hash=crypto.keyed_hash("token", token), created_at=now,
                 expires_at=now.replace(year=2030)) for user, token in zip(users, raw, strict=True)])
    return raw


def scratch_env(postgres: bool) -> tuple[Path, dict[str, str]]:
    """A scratch directory and the environment of a server on it: SQLite there, or a fresh
    PostgreSQL database and an empty Redis database."""
    var = Path(tempfile.mkdtemp(prefix="huiquan-bench-"))
    env = {"HUIQUAN_VAR_DIR": str(var), "HUIQUAN_MODE": "demo", "DATABASE_URL": "",
           "REDIS_URL": ""}
    if postgres:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                             autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS huiquan_bench WITH (FORCE)")
            conn.execute("CREATE DATABASE huiquan_bench")
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/9").flushdb()
        env.update(DATABASE_URL="postgresql://postgres@127.0.0.1:5432/huiquan_bench",
                   REDIS_URL="redis://127.0.0.1:6379/9")
    return var, env


def funded_campaign(env: dict[str, str], *, demo_world: bool = False) -> tuple[Any, Any]:
    """Django set up on the scratch database and migrated, the clock the day before the first
    release, the campaign loaded (with the demo merchants and register when asked) and the
    city's money received. Returns the campaign and a bureau user to confirm releases."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "huiquan.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from huiquan.campaigns.services import receive_funds
    from huiquan.catalog.services import load_campaign_file
    from huiquan.core import clock
    from huiquan.core.models import User
    from huiquan.core.roles import Role
    from huiquan.demo import ensure_demo_world

    call_command("migrate", verbosity=0)
    clock.freeze(clock.parse_instant("2024-06-20T09:00:00+08:00"))
    campaign = load_campaign_file(path=ROOT / "campaigns" / "xixian-2024-home.toml").campaign
    if demo_world:
        ensure_demo_world()
    finance = User.objects.create_user(username="bench-finance", role=Role.FINANCE)
    bureau = User.objects.create_user(username="bench-bureau", role=Role.BUREAU)
    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000_00,
                  reference="bench", actor=finance)
    return campaign, bureau


def start_server(args: argparse.Namespace, env: dict[str, str]) -> tuple[Any, str]:
    """`huiquan serve` (as `make run` starts it) on the scratch database, once it answers."""
    serve = [str(ROOT / ".venv/bin/huiquan"), "serve", "--demo", "--port", str(args.port),
             "--clock", OPENS]
    if args.workers:
        serve += ["--workers", str(args.workers)]
    server = subprocess.Popen(serve, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return server, base


def setup_database(args: argparse.Namespace, env: dict[str, str]) -> tuple[int, Path]:
    """Campaign, received funds, a release of K vouchers, N verified consumers with tokens."""
    campaign, bureau = funded_campaign(env)
    from django.db import connections

    from huiquan.campaigns.services import confirm_release
    from huiquan.core import clock

    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=300_000_00, voucher_count=args.vouchers,
                    reason="benchmark release", actor=bureau)
    now = clock.now()
    users = verified_consumers(args.consumers, now)
    raw = bearer_tokens(users, now)
    connections.close_all()
    token_file = Path(env["HUIQUAN_VAR_DIR"]) / "tokens.txt"
    token_file.write_text("\n".join(raw) + "\n")
    return release.pk, token_file


def wrk(binary: str, url: str, mode: str, args: argparse.Namespace, extra: dict[str, str],
        duration: float) -> dict:
    out = subprocess.run(
        [binary, "-t", str(args.threads), "-c", str(args.connections), "-d", f"{duration}s",
         "--latency", "-s", str(LUA), url],
        capture_output=True, text=True, env={**os.environ, "HQ_MODE": mode, **extra},
        check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("HQRESULT "))
    result = json.loads(line.removeprefix("HQRESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis gate")
    parser.add_argument("--consumers", type=int, default=3000)
    parser.add_argument("--vouchers", type=int, default=1500)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="fresh database per round")
    parser.add_argument("--json", help=argparse.SUPPRESS)  # one round, its figures to this file
    args = parser.parse_args()
    if args.json is None:
        sys.exit(rounds(args, Path(__file__), f"N={args.consumers} consumers, "
                        f"K={args.vouchers} vouchers, {args.connections} connections, "
                        f"{args.duration:g} s per run"))
    binary = ensure_wrk()
    var, env = scratch_env(args.postgres)
    release_id, token_file = setup_database(args, env)
    server, base = start_server(args, env)
    try:
        claim_env = {"HQ_TOKENS": str(token_file), "HQ_RELEASE": str(release_id)}
        wrk(binary, base, "hello", args, {}, 3)  # warm-up: workers load URLconf and API
        hello1 = wrk(binary, base, "hello", args, {}, args.duration)
        rush = wrk(binary, base, "claim", args, claim_env, args.duration)
        hello2 = wrk(binary, base, "hello", args, {}, args.duration)
        soldout = wrk(binary, base, "claim", args, claim_env, args.duration)
        hello3 = wrk(binary, base, "hello", args, {}, args.duration)
    finally:
        server.terminate()
        server.wait(timeout=30)

    from django.db.models import Count

    from huiquan.vouchers.models import Voucher

    hello_rps = (hello1["rps"] + hello2["rps"] + hello3["rps"]) / 3
    hello_p99 = max(hello1["p99_us"], hello2["p99_us"], hello3["p99_us"])
    issued = Voucher.objects.count()
    twice = Voucher.objects.values("consumer").annotate(n=Count("id")).filter(n__gt=1).count()
    reconcile = subprocess.run([str(ROOT / ".venv/bin/huiquan"), "reconcile"],
                               env={**os.environ, **env}, capture_output=True, text=True)
    errors = sum(v for k, v in {**rush["codes"], **soldout["codes"]}.items()
                 if k.startswith("HTTP_") or k in {"BUSY", "INTERNAL"})
    errors += rush["socket_errors"] + soldout["socket_errors"]
    soldout_rps = soldout["codes"].get("SOLD_OUT", 0) / (soldout["duration_us"] / 1e6)
    rows = {
        "database": "PostgreSQL + Redis gate" if args.postgres else "SQLite (WAL)",
        "hello/s": round(hello_rps),
        "hello p99 ms": round(hello_p99 / 1000, 1),
        "claim requests/s (rush)": round(rush["rps"]),
        "claim p50 / p99 ms": f"{rush['p50_us'] / 1000:.1f} / {rush['p99_us'] / 1000:.1f}",
        "R_claim = claims/s ÷ hello/s": round(rush["rps"] / hello_rps, 2),
        "p99 ÷ hello p99": round(rush["p99_us"] / hello_p99, 2),
        "sold-out answers/s ÷ hello/s": round(soldout_rps / hello_rps, 2),
        "rush answers": rush["codes"],
        "errors (5xx, BUSY, socket)": errors,
        "vouchers issued / release": f"{issued} / {args.vouchers}",
        "people with two vouchers": twice,
        "huiquan reconcile": "green" if reconcile.returncode == 0 else "RED",
    }
    ok = issued == args.vouchers and twice == 0 and reconcile.returncode == 0 and errors == 0
    figures = {"rows": rows, "ok": ok, "ratios": {
        "R_claim = claims/s ÷ hello/s": rush["rps"] / hello_rps,
        "p99 ÷ hello p99": rush["p99_us"] / hello_p99,
        "sold-out answers/s ÷ hello/s": soldout_rps / hello_rps}}
    Path(args.json).write_text(json.dumps(figures, ensure_ascii=False))
    shutil.rmtree(var, ignore_errors=True)


def rounds(args: argparse.Namespace, script: Path, setting: str) -> int:
    """Run ``script`` ``args.rounds`` times as child processes (each sets Django up on its own
    scratch database and starts its own server; each writes its figures to ``--json``), print
    every round and the medians of the ratios, and record them when asked. Shared by
    bench/redeem.py."""
    import statistics

    ensure_wrk()
    results = []
    passthrough = [a for a in sys.argv[1:] if a != "--record"]
    for n in range(args.rounds):
        out = Path(tempfile.mkstemp(prefix="huiquan-round-", suffix=".json")[1])
        subprocess.run([sys.executable, str(script), *passthrough, "--json", str(out)],
                       check=False)
        figures = json.loads(out.read_text() or "null")
        out.unlink()
        if figures is None:
            print(f"round {n + 1}: no result")
            return 1
        results.append(figures)
        print(f"round {n + 1}:")
        width = max(len(k) for k in figures["rows"])
        for key, value in figures["rows"].items():
            print(f"  {key.ljust(width)}  {value}")
    summary = {key: [r["ratios"][key] for r in results] for key in results[0]["ratios"]}
    ok = all(r["ok"] for r in results)
    print(f"medians of {len(results)} rounds:")
    for key, values in summary.items():
        print(f"  {key:58} {statistics.median(values):.2f}   "
              f"({', '.join(f'{v:.2f}' for v in values)})")
    print("checks (every round):", "PASS" if ok else "FAIL")
    if args.record:
        import django

        versions = (f"Python {platform.python_version()}, Django {django.get_version()}, "
                    f"gunicorn {_version('gunicorn')}, "
                    f"{'PostgreSQL 15' if args.postgres else 'SQLite ' + _sqlite()}, "
                    f"wrk 4.1, {os.cpu_count()} cores")
        rows = results[-1]["rows"]
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n### {script.stem} — {rows['database']} — "
                     f"{datetime.now():%Y-%m-%d}\n\n")
            command = " ".join([f".venv/bin/python bench/{script.name}", *sys.argv[1:]])
            fh.write(f"{versions}; `{command}`; {setting}; {len(results)} rounds (fresh "
                     "database and server each).\n\n")
            fh.write("| measure | median | rounds |\n|---|---|---|\n")
            for key, values in summary.items():
                fh.write(f"| {key} | {statistics.median(values):.2f} | "
                         f"{', '.join(f'{v:.2f}' for v in values)} |\n")
            for key in rows:
                if key in summary:
                    continue
                each = "; ".join(str(r["rows"][key]) for r in results)
                fh.write(f"| {key} | | {each} |\n")
            fh.write(f"| checks (every round) | {'PASS' if ok else 'FAIL'} | |\n")
    return 0 if ok else 1


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def _sqlite() -> str:
    import sqlite3

    return sqlite3.sqlite_version


if __name__ == "__main__":
    main()
