"""The one test-only switch that turns the database guards off (ARCHITECTURE.md: a race test runs
again with its protection switched off and asserts the race then happens).

Every guard asks ``enabled()``: conditional updates, row locks, the Redis gate, the audit
chain's lock, OTP counting, the scan lock-out. Production never sets
``HUIQUAN_UNSAFE_DISABLE_GUARDS`` (settings.py: False; the concurrency tests' ``unguarded``
fixture sets it). The crash-point twin across processes is core/faults.py.
"""

from __future__ import annotations

from django.conf import settings


def enabled() -> bool:
    return not getattr(settings, "HUIQUAN_UNSAFE_DISABLE_GUARDS", False)
