"""What each server process would otherwise do on its first requests, done at start instead.

gunicorn starts a process per worker (and replaces one now and then); without this, the first
requests each process answers on release day would also import every view and the API
schema, and parse the boundary polygons — the slowest answers of the rush (bench/RESULTS.md).
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def warm_up() -> None:
    from django.urls import get_resolver

    from huiquan.core import geo

    get_resolver().url_patterns  # noqa: B018 - imports every view and the API routers
    try:
        geo.preload()
    except (OSError, ValueError, RuntimeError) as exc:  # claims will say so, clearly
        logger.warning("boundary files not preloaded: %s", exc)
    # Everything loaded so far (Django, the API schema, the polygons: ~120,000 objects) lives as
    # long as the process. Moved out of the garbage collector's sight, a full collection takes
    # ~0.1 ms instead of ~46 ms: a 46 ms pause in the middle of a rush is a slowest answer.
    gc.collect()
    gc.freeze()
