"""What bench/claim_rush.py and bench/redeem.py share (issue 15): the scratch database, the
campaign and its people, the servers, wrk, the ratios of one work run against the hello runs on
either side of it, and the rounds with their medians. Never part of `make test`.

A ratio names the work it measures. Every request of a work run does that work (a claim that
issues, a sale that completes, a sold-out answer, an empty-pool refusal) for a distinct person or
voucher, with more people and money than the run can use; a request that finds nothing left to
send is counted as RAN_OUT and fails the round (the run was too small to measure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OPENS = "2024-06-21T10:00:00+08:00"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return shutil.which("wrk") or sys.exit("wrk could not be installed")
    sys.exit("wrk is needed: apt-get install wrk")


def add_common_arguments(parser: argparse.ArgumentParser, *, port: int) -> None:
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis")
    parser.add_argument("--pg-database", default="huiquan_bench_perf",
                        help="scratch PostgreSQL database (dropped and created each round)")
    parser.add_argument("--redis-db", type=int, default=2, help="scratch Redis database (flushed)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=float, default=4)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers per server")
    parser.add_argument("--worker-class", default="", help="gunicorn worker class (default sync)")
    parser.add_argument("--gunicorn-threads", type=int, default=0,
                        help="threads per worker (gthread)")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--rounds", type=int, default=3, help="fresh database per round")
    parser.add_argument("--json", help=argparse.SUPPRESS)  # one round, its figures to this file


# --- the scratch world ---------------------------------------------------------------------------


def scratch_env(args: argparse.Namespace) -> tuple[Path, dict[str, str]]:
    """A scratch directory and the environment of a server on it: SQLite there, or a fresh
    PostgreSQL database and an emptied Redis database."""
    var = Path(tempfile.mkdtemp(prefix="huiquan-bench-"))
    env = {"HUIQUAN_VAR_DIR": str(var), "HUIQUAN_MODE": "demo", "DATABASE_URL": "",
           "REDIS_URL": ""}
    if args.postgres:
        import psycopg
        import redis

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {args.pg_database} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {args.pg_database}")
        redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
        redis.Redis.from_url(redis_url).flushdb()
        env.update(DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{args.pg_database}",
                   REDIS_URL=redis_url)
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
        for i in range(count)], batch_size=2000)
    consumers = []
    for i, user in enumerate(users):
        number = f"1410311990{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        number += ric.calc_check_digit(number + "0")
        consumers.append(Consumer(user=user, phone=user.phone, real_name="测试",
                                  id_cipher=crypto.encrypt_id(number),
                                  id_hash=crypto.hash_id(f"{number}-{i}"),
                                  id_masked=crypto.mask_id(number), verified_at=now,
                                  created_at=now))
    Consumer.objects.bulk_create(consumers, batch_size=2000)
    return users


def bearer_tokens(users: list, now: datetime) -> list[str]:
    """A bearer token for each user, valid until 2030 (raw strings; only hashes are stored)."""
    from huiquan.consumers import crypto
    from huiquan.consumers.models import ApiToken
    from huiquan.consumers.services import issue_token_string

    raw = [issue_token_string(user.pk, now.replace(year=2030)) for user in users]
    ApiToken.objects.bulk_create([
        ApiToken(user=user, key_hash=crypto.keyed_hash("token", token), created_at=now,
                 expires_at=now.replace(year=2030))
        for user, token in zip(users, raw, strict=True)], batch_size=2000)
    return raw


def issue_directly(release: Any, consumer_ids: list[int], at: datetime) -> None:
    """Vouchers of ``release`` for these people, written directly as a claim writes them, and
    the release's remaining count taken down by as many (the reconcile's rule: claimed = count −
    remaining). The benchmarks' stand-in for claims made before a run: the people a till serves,
    and the rest of a release taken by other claimants (then it is sold out)."""
    from django.db import transaction
    from django.db.models import F

    from huiquan.campaigns.models import Release
    from huiquan.vouchers.models import Voucher
    from huiquan.vouchers.paycode import new_handle
    from huiquan.vouchers.services import VALID_AT_MOST

    taken = set(Voucher.objects.values_list("paycode_handle", flat=True))
    rows = []
    for consumer_id in consumer_ids:
        handle = new_handle()
        while handle in taken:
            handle = new_handle()
        taken.add(handle)
        rows.append(Voucher(consumer_id=consumer_id, release_id=release.pk,
                            campaign_id=release.period.campaign_id, claimed_at=at,
                            valid_until=min(release.expires_at, at + VALID_AT_MOST),
                            paycode_secret=secrets.token_hex(20), paycode_handle=handle))
    with transaction.atomic():
        Voucher.objects.bulk_create(rows, batch_size=2000)
        Release.objects.filter(pk=release.pk).update(
            remaining_count=F("remaining_count") - len(rows))


# --- servers and wrk -----------------------------------------------------------------------------


def start_servers(args: argparse.Namespace, env: dict[str, str], count: int = 1
                  ) -> tuple[list[Any], list[str]]:
    """``count`` independent `huiquan serve` processes (as `make run` starts one) on ports
    ``args.port``, ``args.port + 1``, … sharing the scratch database (and Redis), started one
    after the other (each migrates and loads the demo world first), once each answers."""
    servers, bases = [], []
    for n in range(count):
        var = Path(env["HUIQUAN_VAR_DIR"]) / f"server{n}" if count > 1 else None
        own = dict(env)
        if var is not None:  # each server its own demo clock and scratch files; one database
            var.mkdir(exist_ok=True)  # and one secret key (tokens are signed with it)
            shutil.copy(Path(env["HUIQUAN_VAR_DIR"]) / "secret_key", var / "secret_key")
            own["HUIQUAN_VAR_DIR"] = str(var)
        port = args.port + n
        serve = [str(ROOT / ".venv/bin/huiquan"), "serve", "--demo", "--port", str(port),
                 "--clock", OPENS]
        if args.workers:
            serve += ["--workers", str(args.workers)]
        if args.worker_class:
            serve += ["--worker-class", args.worker_class]
        if args.gunicorn_threads:
            serve += ["--threads", str(args.gunicorn_threads)]
        servers.append(subprocess.Popen(serve, env={**os.environ, **own},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        bases.append(base)
    return servers, bases


def stop_servers(servers: list[Any]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait(timeout=30)


def wrk_command(binary: str, lua: Path, url: str, args: argparse.Namespace,
                duration: float) -> list[str]:
    # A slow answer is slow, not lost: wrk's default 2 s timeout would count it as a socket
    # error and leave it out of the percentiles.
    return [binary, "-t", str(args.threads), "-c", str(args.connections), "-d",
            f"{duration:g}s", "--timeout", "30s", "--latency", "-s", str(lua), url]


def parse_wrk(out: str) -> dict:
    line = next(x for x in out.splitlines() if x.startswith("HQRESULT "))
    result = json.loads(line.removeprefix("HQRESULT "))
    result["seconds"] = result["duration_us"] / 1e6
    result["rps"] = result["requests"] / result["seconds"]
    return result


def wrk(binary: str, lua: Path, url: str, mode: str, args: argparse.Namespace,
        extra: dict[str, str], duration: float) -> dict:
    out = subprocess.run(wrk_command(binary, lua, url, args, duration), capture_output=True,
                         text=True, check=True,
                         env={**os.environ, "HQ_MODE": mode, "HQ_THREADS": str(args.threads),
                              **extra}).stdout
    return parse_wrk(out)


# --- ratios --------------------------------------------------------------------------------------


def work_ratio(work: dict, answer: str, before: dict, after: dict) -> dict[str, float]:
    """One work run against the hello runs on either side of it (the host's speed drifts over
    minutes; a ratio compares neighbours): the named answers per second ÷ the mean hello/s, and
    the run's p99 ÷ the mean hello p99."""
    hello_rps = (before["rps"] + after["rps"]) / 2
    hello_p99 = (before["p99_us"] + after["p99_us"]) / 2
    per_second = work["codes"].get(answer, 0) / work["seconds"]
    return {"ratio": per_second / hello_rps, "p99_ratio": work["p99_us"] / hello_p99,
            "per_second": per_second, "hello_rps": hello_rps,
            "p50_ms": work["p50_us"] / 1000, "p99_ms": work["p99_us"] / 1000,
            "hello_p99_ms": hello_p99 / 1000}


def ratio_rows(name: str, figures: dict[str, float]) -> dict[str, Any]:
    return {
        f"{name}": round(figures["ratio"], 2),
        f"{name}: answers/s (hello/s)": f"{figures['per_second']:.0f} ({figures['hello_rps']:.0f})",
        f"{name}: p50 / p99 ms (hello p99)": f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f} "
                                           f"({figures['hello_p99_ms']:.1f})",
        f"{name}: p99 ÷ hello p99": round(figures["p99_ratio"], 2),
    }


def errors_in(runs: list[dict], allowed: set[str]) -> int:
    """Answers that are neither the run's work nor a hello, and socket errors."""
    bad = sum(count for run in runs for code, count in run["codes"].items()
              if code not in allowed)
    return bad + sum(run["socket_errors"] for run in runs)


def reconcile_green(env: dict[str, str]) -> tuple[bool, str]:
    done = subprocess.run([str(ROOT / ".venv/bin/huiquan"), "reconcile"],
                          env={**os.environ, **env}, capture_output=True, text=True)
    return done.returncode == 0, (done.stdout + done.stderr).strip()


# --- rounds --------------------------------------------------------------------------------------


def rounds(args: argparse.Namespace, script: Path, setting: str) -> int:
    """Run ``script`` ``args.rounds`` times as child processes (each sets Django up on its own
    scratch database and starts its own server; each writes its figures to ``--json``), print
    every round and the medians of the ratios, and record them when asked."""
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
        print(f"  {key:40} {statistics.median(values):.2f}   "
              f"({', '.join(f'{v:.2f}' for v in values)})")
    print("checks (every round):", "PASS" if ok else "FAIL")
    if args.record:
        _record(args, script, setting, results, summary, ok)
    return 0 if ok else 1


def _record(args: argparse.Namespace, script: Path, setting: str, results: list[dict],
            summary: dict[str, list[float]], ok: bool) -> None:
    import django

    versions = (f"Python {platform.python_version()}, Django {django.get_version()}, "
                f"gunicorn {_version('gunicorn')}, "
                f"{'PostgreSQL ' + _pg_version() + ' + Redis' if args.postgres else 'SQLite ' + _sqlite()}, "
                f"wrk 4.1, {os.cpu_count()} cores")
    rows = results[-1]["rows"]
    with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
        fh.write(f"\n### {script.stem} — {rows['database']} — {datetime.now():%Y-%m-%d %H:%M}\n\n")
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


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def _sqlite() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _pg_version() -> str:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]).split()[0] if row else "?"
    except Exception:
        return "?"
