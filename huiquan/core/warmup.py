"""What each server process would otherwise do on its first requests, done at start instead.

gunicorn starts a process per worker (and replaces one now and then); without this, the first
requests each process answers on release day would also import every view and the API
schema, and parse the boundary polygons — the slowest answers of the rush (bench/RESULTS.md).
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def warm_up() -> None:
    from django.urls import get_resolver

    from huiquan.consumers import geofence

    get_resolver().url_patterns  # noqa: B018 - imports every view and the API routers
    try:
        geofence.preload()
    except (OSError, ValueError, RuntimeError) as exc:  # claims will say so, clearly
        logger.warning("boundary files not preloaded: %s", exc)
