"""The optional Redis claim gate: turns the sold-out crowd away before it touches the database.

The database stays the source of truth. The gate holds a copy of each release's remaining count,
taken from the database on first use; an atomic Lua script admits a claim only while the copy
is positive. A claim refused after admission gives its place back. `huiquan tick` re-syncs the
copy from the database, so a lost place (a crashed worker) is healed within a minute.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings

ADMIT = """
local v = redis.call('GET', KEYS[1])
if not v then return -2 end
if tonumber(v) <= 0 then return -1 end
return redis.call('DECR', KEYS[1])
"""


@lru_cache(maxsize=1)
def _client() -> Any:
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)


def enabled() -> bool:
    """On when REDIS_URL is set (and off when a race test switches every protection off)."""
    return bool(settings.REDIS_URL) and not settings.HUIQUAN_UNSAFE_DISABLE_GUARDS


def _key(release: Any) -> str:
    # The confirmation instant makes the key unique even if a database is rebuilt and ids reused.
    stamp = int(release.confirmed_at.timestamp() * 1_000_000) if release.confirmed_at else 0
    return f"huiquan:gate:release:{release.pk}:{stamp}:remaining"


def admit(release: Any, remaining_in_db: Any) -> bool:
    """True: go on to the database. False: sold out (the database is not asked)."""
    client = _client()
    script = client.register_script(ADMIT)
    result = script(keys=[_key(release)])
    if result == -2:
        client.set(_key(release), int(remaining_in_db()), nx=True, ex=14 * 86400)
        result = script(keys=[_key(release)])
    return int(result) >= 0


def give_back(release: Any) -> None:
    _client().incr(_key(release))


def sync(release: Any) -> None:
    _client().set(_key(release), release.remaining_count, ex=14 * 86400)


def peek(release: Any) -> int | None:
    value = _client().get(_key(release))
    return None if value is None else int(value)
