"""Test-only fault hooks for real-process tests (never honoured in production mode).

- ``HUIQUAN_TEST_CRASH_AT=<step>``: the process dies at once (``os._exit``: no clean-up, no
  commit, no ``finally``) when it reaches :func:`crash_point` with that step's name, as a
  ``kill -9`` would leave it. The steps are named where the code talks to something else:
  ``sale.reserved``, ``sale.charged``, ``sale.applied``, ``payment.answered``,
  ``return.recorded``, ``refund.answered``, ``autorefund.recorded``.
- ``HUIQUAN_TEST_GUARD_OFF=<guard>``: switches one guard off in a child process, so a test can
  show the race that guard prevents (the in-process twin is ``HUIQUAN_UNSAFE_DISABLE_GUARDS``).
"""

from __future__ import annotations

import os

CRASH_ENV = "HUIQUAN_TEST_CRASH_AT"
GUARD_ENV = "HUIQUAN_TEST_GUARD_OFF"
CRASH_EXIT = 86  # what a test sees as the child's exit status


def _sandbox() -> bool:
    return os.environ.get("HUIQUAN_MODE", "demo") != "production"


def crash_point(step: str) -> None:
    """Die here when a test asked for it (see the module docstring)."""
    target = os.environ.get(CRASH_ENV)
    if target and target == step and _sandbox():
        os._exit(CRASH_EXIT)


def guard_off(guard: str) -> bool:
    """Whether a test switched this guard off in this process."""
    return bool(os.environ.get(GUARD_ENV)) and os.environ.get(GUARD_ENV) == guard and _sandbox()
