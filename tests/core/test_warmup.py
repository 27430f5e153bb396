"""Server processes warm up at start (huiquan/core/warmup.py)."""

from __future__ import annotations

import gc

from django.urls import get_resolver

from huiquan.core.warmup import warm_up


def test_warm_up_loads_the_urls_and_hides_what_it_loaded_from_the_collector():
    try:
        warm_up()
        assert get_resolver().url_patterns
        # What a server process loaded before its first request is never scanned again by a
        # full collection (it lives as long as the process).
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
        gc.collect()  # what the freeze kept from the collector (e.g. other tests' connections)
