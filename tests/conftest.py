"""Shared fixtures: the clock, the shipped campaign, one user per role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from huiquan.core import clock as clock_module
from huiquan.core.roles import Role

pytest_plugins = ["tests.merchant_fixtures", "tests.settlement.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN_FILE = ROOT / "campaigns" / "xixian-2024-home.toml"


class TestClock:
    """Moves time for a test; nothing sleeps (invariant 2)."""

    def set(self, when: str | datetime) -> datetime:
        instant = clock_module.parse_instant(when) if isinstance(when, str) else when
        clock_module.freeze(instant)
        return instant

    def advance(self, **kwargs: float) -> datetime:
        return clock_module.advance(timedelta(**kwargs))

    def now(self) -> datetime:
        return clock_module.now()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.HUIQUAN_AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.log"
    # Before the campaign starts, unless a test moves the clock.
    clock_module.freeze(clock_module.parse_instant("2024-06-15T09:00:00+08:00"))
    yield
    clock_module.unfreeze()


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def campaign(db):  # type: ignore[no-untyped-def]
    from huiquan.catalog.services import load_campaign_file

    return load_campaign_file(path=CAMPAIGN_FILE).campaign


@pytest.fixture
def make_user(db):  # type: ignore[no-untyped-def]
    from huiquan.core.models import User

    def make(role: str, username: str | None = None, password: str = "a-long-test-pass-1") -> User:
        user = User.objects.create_user(username=username or f"{role}-user", password=password,
                                        role=role)
        return user

    return make


@pytest.fixture
def bureau(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.BUREAU)


@pytest.fixture
def finance(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.FINANCE)


@pytest.fixture
def auditor(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.AUDITOR)


@pytest.fixture
def reviewer(make_user):  # type: ignore[no-untyped-def]
    return make_user(Role.REVIEWER)


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    return f"database: {settings.DATABASES['default']['ENGINE']}"


# --- consumers and claims -----------------------------------------------------------------------

NOTICE = "2024-06-v1"  # huiquan.consumers.privacy.NOTICE_VERSION (a test checks they agree)
INSIDE_LINFEN = {"lat": 36.08, "lng": 111.52, "coord_system": "wgs84"}  # Linfen city centre
BEIJING = {"lat": 39.9087, "lng": 116.3975, "coord_system": "wgs84"}


def make_id_number(n: int) -> str:
    """A valid resident ID number (check digit by python-stdnum), distinct for each n."""
    from stdnum.cn import ric

    base = f"141031{1960 + n % 40:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


@pytest.fixture
def make_consumer(db):  # type: ignore[no-untyped-def]
    from huiquan.consumers import services
    from huiquan.consumers.sms import latest_sandbox_message

    counter = {"n": 0}

    def make(*, verified: bool = True, phone: str | None = None):  # type: ignore[no-untyped-def]
        counter["n"] += 1
        n = counter["n"]
        phone = phone or f"138{n:08d}"
        services.request_otp(phone=phone, ip=f"10.0.{n // 250}.{n % 250}")
        code = latest_sandbox_message(phone).split("验证码是 ")[1][:6]
        session = services.verify_otp(phone=phone, code=code)
        if verified:
            services.submit_identity(consumer=session.consumer, real_name=f"张{'三四五六七八'[n % 6]}",
                                     id_number=make_id_number(n), privacy_consent=NOTICE)
            session.consumer.refresh_from_db()
        return session

    return make


@pytest.fixture
def open_release(campaign, finance, bureau, clock):  # type: ignore[no-untyped-def]
    """Release 1 confirmed with 150 vouchers, and the clock at its opening second."""
    from huiquan.campaigns.services import confirm_release, receive_funds

    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000_00,
                  reference="临财〔2024〕1号", actor=finance)
    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=300_000_00, actor=bureau)
    clock.set("2024-06-21T10:00:00+08:00")
    release.refresh_from_db()
    return release


@pytest.fixture(autouse=True)
def _forget_sold_out():  # type: ignore[no-untyped-def]
    """Release, campaign and version ids are reused between tests; production never reuses
    them."""
    from django.core.cache import cache

    from huiquan.core import memo

    memo.clear_all()
    # The campaign page's cached live counts (vouchers.selectors.release_live). With Redis the
    # cache lives in the worker's own Redis database, emptied by _own_redis_database.
    local = "LocMemCache" in settings.CACHES["default"]["BACKEND"]
    if local:
        cache.clear()
    yield
    memo.clear_all()
    if local:
        cache.clear()


@pytest.fixture(autouse=True)
def _own_redis_database(settings):  # type: ignore[no-untyped-def]
    """Each xdist worker gets its own, empty Redis database for the claim gate."""
    if not settings.REDIS_URL:
        yield
        return
    import os

    import redis

    from huiquan.vouchers import gate

    # Counting down from the database REDIS_URL names (15 by default), one per worker, so two
    # checkouts testing at once on one machine can be given separate ranges.
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    base, _, first = settings.REDIS_URL.rpartition("/")
    top = int(first) if first.isdigit() else 15
    settings.REDIS_URL = f"{base}/{max(top - worker, 0)}"
    # Django's cache too (the campaign page's live counts): each worker its own database.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": settings.REDIS_URL}}
    gate._client.cache_clear()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    yield
    gate._client.cache_clear()


def pytest_sessionstart(session):  # type: ignore[no-untyped-def]
    """Remove what SQLite left beside test databases of earlier, finished runs."""
    import os
    import re

    var = ROOT / "var"
    for path in var.glob("test-*"):
        match = re.match(r"test-(\d+)\.db", path.name)
        if match is None:
            continue
        try:
            os.kill(int(match.group(1)), 0)  # that run is still going: leave it
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except PermissionError:
            pass
