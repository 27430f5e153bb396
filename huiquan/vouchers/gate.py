"""The optional Redis claim gate: turns the sold-out crowd away before it touches the database.

The database stays the source of truth; Redis is a helper, never a single point of failure
(issue 12). The gate holds a copy of each release's remaining count, taken from the database on
first use; an atomic Lua script admits a claim only while the copy is positive. A claim refused
after admission gives its place back — only into a copy that exists (a flushed or restarted
Redis is re-copied from the database by the next claim, never recreated as "1"), keeping its
expiry. `huiquan tick` re-syncs the copy from the database, so a lost place (a crashed worker) is
healed within a minute.

When Redis fails (connection refused, a timeout, an error), every claim goes straight to the
database path, which decides alone exactly as it does without REDIS_URL: the outage is logged
once per process, Redis is left alone for ``RETRY_AFTER_SECONDS`` (no claim waits for a dead
server each time), and the first claim after it comes back re-copies the count from the database.
A copy can only be too high after an outage (over-admission: the database refuses the extra
claims), never too low from it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings

from huiquan.core import guards

log = logging.getLogger(__name__)

ADMIT = """
local v = redis.call('GET', KEYS[1])
if not v then return -2 end
if tonumber(v) <= 0 then return -1 end
return redis.call('DECR', KEYS[1])
"""
# Only into a copy that exists: INCR on a missing key would create it as 1, with no expiry,
# after a flush — and everyone after the next claimant would be told "sold out". INCR keeps
# the key's expiry.
GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
return -2
"""
KEEP_SECONDS = 14 * 86400
RETRY_AFTER_SECONDS = 5.0

_down_until = 0.0  # monotonic time before which Redis is not asked (this process)
_outage = False  # this process has logged an outage that has not ended yet


@lru_cache(maxsize=1)
def _client() -> Any:
    import redis

    # Redis answers in well under a millisecond; a server that does not is treated as down.
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5,
                                socket_connect_timeout=0.5)


def enabled() -> bool:
    """On when REDIS_URL is set (and off when a race test switches every protection off)."""
    return bool(settings.REDIS_URL) and guards.enabled()


def _key(release: Any) -> str:
    # The confirmation instant makes the key unique even if a database is rebuilt and ids reused.
    stamp = int(release.confirmed_at.timestamp() * 1_000_000) if release.confirmed_at else 0
    return f"huiquan:gate:release:{release.pk}:{stamp}:remaining"


def _failed(exc: Exception) -> None:
    global _down_until, _outage
    _down_until = time.monotonic() + RETRY_AFTER_SECONDS
    if not _outage:
        _outage = True
        log.warning("Redis 领券闸门不可用，领券改由数据库直接判断（%s: %s）",
                    type(exc).__name__, exc)


def _call(action: Callable[[Any], Any]) -> tuple[bool, Any]:
    """Run ``action(client)`` unless Redis is known to be down; (ran, result)."""
    import redis

    if time.monotonic() < _down_until:
        return False, None
    try:
        return True, action(_client())
    except redis.RedisError as exc:
        _failed(exc)
        return False, None


def admit(release: Any, remaining_in_db: Callable[[], int]) -> bool:
    """True: go on to the database. False: sold out (the database is not asked). Redis down:
    True — the database decides."""
    global _outage
    key = _key(release)
    recovering = _outage

    def run(client: Any) -> int:
        script = client.register_script(ADMIT)
        if recovering:  # places given back during the outage were lost: copy the truth again
            client.set(key, int(remaining_in_db()), ex=KEEP_SECONDS)
        result = script(keys=[key])
        if result == -2:  # first use, or Redis was flushed or restarted
            client.set(key, int(remaining_in_db()), nx=True, ex=KEEP_SECONDS)
            result = script(keys=[key])
        return int(result)

    ran, result = _call(run)
    if not ran:
        return True
    if recovering:
        _outage = False
        log.warning("Redis 领券闸门已恢复")
    return bool(result >= 0)


def give_back(release: Any) -> None:
    """A claim refused after admission returns its place (only into an existing copy)."""
    _call(lambda client: client.register_script(GIVE_BACK)(keys=[_key(release)]))


def sync(release: Any) -> None:
    """Copy the database's remaining count (``huiquan tick``); skipped while Redis is down."""
    _call(lambda client: client.set(_key(release), release.remaining_count, ex=KEEP_SECONDS))


def peek(release: Any) -> int | None:
    value = _client().get(_key(release))
    return None if value is None else int(value)


def ttl(release: Any) -> int:
    """Seconds the copy has left (-1: no expiry, -2: no copy). For tests and diagnosis."""
    return int(_client().ttl(_key(release)))
