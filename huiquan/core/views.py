from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """An expired or forged form: a Chinese page, not Django's English one."""
    return render(request, "403_csrf.html", status=403)
