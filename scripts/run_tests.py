"""What `make test` runs: lint, types, the import contract, then the whole suite on SQLite and
on PostgreSQL+Redis.

Locally a missing PostgreSQL or Redis skips that pass with the reason; under CI=true it fails.
The browser tests need Debian's chromium: it is installed here when missing and we are root;
their accessibility checks need axe-core from npm (tests/e2e/axe, `npm ci`), installed here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("HUIQUAN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/huiquan")
REDIS_URL = os.environ.get("HUIQUAN_TEST_REDIS", "redis://127.0.0.1:6379/15")


def step(title: str, argv: list[str], env: dict[str, str] | None = None) -> None:
    print(f"\n== {title}: {' '.join(argv)}", flush=True)
    started = time.monotonic()
    code = subprocess.call(argv, cwd=ROOT, env={**os.environ, **(env or {})})
    print(f"== {title}: exit {code} in {time.monotonic() - started:.0f}s", flush=True)
    if code != 0:
        sys.exit(code)


def ensure_chromium() -> None:
    if shutil.which("chromium"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        msg = "chromium 未安装且无法自动安装：浏览器测试将跳过 (chromium missing)"
        if IN_CI:
            sys.exit(msg)
        print(msg)
        return
    print("== installing Debian's chromium for the browser tests", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.call(["apt-get", "update", "-qq"], env=env)
    # fonts-noto-cjk: the pages are Chinese; without it screenshots show empty boxes.
    code = subprocess.call(["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"],
                           env=env)
    if code != 0 and IN_CI:
        sys.exit("apt-get install chromium failed")


def ensure_axe() -> None:
    """axe-core for the browser tests' accessibility checks, from npm (tests/e2e/axe)."""
    if not shutil.which("npm") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("== installing Debian's npm for axe-core", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.call(["apt-get", "install", "-y", "-qq", "npm"], env=env)
    sys.path.insert(0, str(ROOT))
    from tests.e2e.axe_tools import ensure_axe as install

    problem = install()
    if problem:
        if IN_CI:
            sys.exit(problem)
        print(f"{problem}：无障碍检查将跳过 (axe-core missing)")


def server_problem() -> str | None:
    """Why the PostgreSQL+Redis pass cannot run, or None."""
    try:
        import psycopg

        with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres", connect_timeout=3) as c:
            c.execute("select 1")
    except Exception as exc:
        return f"PostgreSQL at {PG_URL} unreachable: {exc}".strip()
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis at {REDIS_URL} unreachable: {exc}"
    return None


def main() -> None:
    step("ruff", [str(BIN / "ruff"), "check", "huiquan", "tests", "bench", "scripts"])
    step("mypy", [str(BIN / "mypy"), "huiquan"])
    # The apps' layers (pyproject.toml [tool.importlinter], docs/architecture.md); the SQL
    # strings' side of the same rule is tests/architecture/test_table_ownership.py.
    step("import contract", [str(BIN / "lint-imports"), "--no-cache"])
    ensure_chromium()
    ensure_axe()
    workers = os.environ.get("HUIQUAN_TEST_WORKERS", "2")
    pytest = [str(BIN / "pytest"), "-q", "-n", workers, "--dist", "loadfile"]
    sqlite_env = {"DATABASE_URL": "", "REDIS_URL": ""}
    step("pytest on SQLite", pytest, sqlite_env)
    problem = server_problem()
    if problem:
        if IN_CI:
            sys.exit(f"CI=true and the PostgreSQL+Redis pass cannot run: {problem}")
        print(f"\n== SKIPPED the PostgreSQL+Redis pass: {problem}")
        return
    step("pytest on PostgreSQL + Redis", pytest, {"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL})


if __name__ == "__main__":
    main()
