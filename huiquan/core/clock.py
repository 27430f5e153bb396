"""The one source of time (ARCHITECTURE.md invariant 2).

Everything that asks "what time is it" calls :func:`now`. It returns an aware datetime in
Asia/Shanghai. Three modes:

- real time (production);
- a demo clock: ``HUIQUAN_CLOCK_START`` (ISO 8601) plus ``HUIQUAN_CLOCK_ANCHOR`` (the real
  epoch second at which the server started) make the clock start at that instant and run
  forward, identically in every worker process; only allowed in demo/sandbox mode;
- a test clock: :func:`freeze` pins it; :func:`advance` moves it. Nothing sleeps.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_lock = threading.Lock()
_frozen: datetime | None = None


class ClockRefused(RuntimeError):
    """A demo clock was asked for outside demo/sandbox mode."""


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive one is read as Asia/Shanghai wall time."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)


def demo_clock_file() -> Path:
    """Where `huiquan serve --clock` leaves its clock, so CLI commands (tick, reconcile) run
    against the same database follow the same demo time."""
    default = Path(__file__).resolve().parent.parent.parent / "var"
    return Path(os.environ.get("HUIQUAN_VAR_DIR", default)) / "demo-clock.json"


_file_cache: tuple[float, tuple[str, str] | None] | None = None


def _from_file() -> tuple[str, str] | None:
    global _file_cache
    path = demo_clock_file()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    if _file_cache is not None and _file_cache[0] == mtime:
        return _file_cache[1]
    try:
        data = json.loads(path.read_text())
        value: tuple[str, str] | None = (str(data["start"]), str(data["anchor"]))
    except (OSError, ValueError, KeyError, TypeError):
        value = None
    _file_cache = (mtime, value)
    return value


def _demo_start() -> tuple[datetime, float] | None:
    start = os.environ.get("HUIQUAN_CLOCK_START")
    anchor_text = os.environ.get("HUIQUAN_CLOCK_ANCHOR")
    if not start and os.environ.get("HUIQUAN_MODE", "demo") != "production":
        stored = _from_file()
        if stored:
            start, anchor_text = stored
    if not start:
        return None
    if os.environ.get("HUIQUAN_MODE", "demo") == "production":
        raise ClockRefused("演示时钟只能在演示/沙箱模式下使用 (HUIQUAN_MODE=production)")
    return _demo_origin(start, anchor_text)


@functools.lru_cache(maxsize=8)
def _demo_origin(start: str, anchor_text: str | None) -> tuple[datetime, float]:
    """Parsed once per process (``now()`` is called several times per request)."""
    return parse_instant(start), float(anchor_text or _PROCESS_START)


_PROCESS_START = time.time()


def now() -> datetime:
    """The current instant, aware, in Asia/Shanghai."""
    frozen = _frozen
    if frozen is not None:
        return frozen
    demo = _demo_start()
    if demo is not None:
        start, anchor = demo
        return start + timedelta(seconds=time.time() - anchor)
    return datetime.now(SHANGHAI)


def is_demo_clock() -> bool:
    return _frozen is None and _demo_start() is not None


def local(value: datetime) -> datetime:
    """The same instant on Shanghai wall time (for display and schedules)."""
    return value.astimezone(SHANGHAI)


def freeze(instant: datetime) -> None:
    """Pin the clock (tests and benchmarks only)."""
    global _frozen
    if instant.tzinfo is None:
        raise ValueError("the clock only takes aware datetimes")
    with _lock:
        _frozen = instant.astimezone(SHANGHAI)


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward (tests only)."""
    global _frozen
    with _lock:
        if _frozen is None:
            raise RuntimeError("advance() needs a frozen clock")
        _frozen = _frozen + delta
        return _frozen


def unfreeze() -> None:
    global _frozen
    with _lock:
        _frozen = None
