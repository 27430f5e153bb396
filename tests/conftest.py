"""Shared fixtures: the clock, the shipped campaign, one user per role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from huiquan.core import clock as clock_module
from huiquan.core.roles import Role

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
    from huiquan.campaigns.services import load_campaign

    return load_campaign(path=CAMPAIGN_FILE).campaign


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
