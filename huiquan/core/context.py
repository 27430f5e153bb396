from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from huiquan.core import clock


def shell(request: HttpRequest) -> dict[str, Any]:
    """What every page's shell needs: the clock banner and the sandbox marker."""
    return {
        "demo_clock": clock.now() if clock.is_demo_clock() else None,
        "now": clock.now(),
        "sandbox_mode": settings.SANDBOX,
        "huiquan_mode": settings.HUIQUAN_MODE,
    }
