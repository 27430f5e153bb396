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

import os
import threading
import time
from datetime import datetime, timedelta
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


def _demo_start() -> tuple[datetime, float] | None:
    start = os.environ.get("HUIQUAN_CLOCK_START")
    if not start:
        return None
    if os.environ.get("HUIQUAN_MODE", "demo") == "production":
        raise ClockRefused("演示时钟只能在演示/沙箱模式下使用 (HUIQUAN_MODE=production)")
    anchor = float(os.environ.get("HUIQUAN_CLOCK_ANCHOR") or _PROCESS_START)
    return parse_instant(start), anchor


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
    return _frozen is None and bool(os.environ.get("HUIQUAN_CLOCK_START"))


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
