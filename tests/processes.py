"""Real child processes on the test database (crash tests, the worker, the server): their
environment, and waiting on what they do without sleeping blindly."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
T = TypeVar("T")


def database_url() -> str:
    """The database this test runs on (the test database, not the configured one)."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def child_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """A child's environment: the test database and Redis, sandbox mode, and a demo clock that
    starts at the test's clock and runs on from there."""
    from django.conf import settings

    from huiquan.core import clock

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HUIQUAN_TEST"))}
    env.update({
        "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
        "HUIQUAN_MODE": "sandbox", "HUIQUAN_VAR_DIR": str(var_dir), "HUIQUAN_TESTING": "1",
        "HUIQUAN_SECRET_KEY": settings.SECRET_KEY, "DJANGO_SETTINGS_MODULE": "huiquan.settings",
        "HUIQUAN_CLOCK_START": clock.now().isoformat(), "HUIQUAN_CLOCK_ANCHOR": repr(time.time()),
        "PYTHONPATH": str(ROOT),
    })
    env.update(extra)
    return env


def wait_for(condition: Callable[[], T], *, timeout: float = 60, what: str = "") -> T:
    """Poll an observable condition until it holds (its value), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s in vain for {what or condition}")
        time.sleep(0.1)


def gone(pid: int) -> bool:
    """Whether the process has ended (a zombie nobody reaped counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in {"Z", "X"}


def stop(proc: Any, timeout: float = 20) -> None:
    """Ask a child to stop, then make sure it did."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except Exception:
            proc.kill()
            proc.wait(timeout=timeout)
