"""Fixtures of the back-office tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def city(campaign):  # type: ignore[no-untyped-def]
    return campaign.funding_sources.get(code="city")


@pytest.fixture
def first_release(campaign):  # type: ignore[no-untyped-def]
    return campaign.periods.get(number=1).releases.get(number=1)

