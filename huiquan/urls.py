from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import include, path

from huiquan.api import api
from huiquan.core import (
    clock,
    converters,  # noqa: F401 - registers <id:...> before the apps' URLs
)
from huiquan.core.headers import favicon
from huiquan.merchants import urls as merchant_urls
from huiquan.redemptions import urls as till_urls
from huiquan.verification import urls as documents_urls


def healthz(request: HttpRequest) -> HttpResponse:
    """No database: the baseline the benchmarks compare against."""
    return JsonResponse({"ok": True, "now": clock.now().isoformat()})


urlpatterns = [
    path("api/v1/", api.urls),  # first: the release-day hot path resolves in one step
    path("", include("huiquan.site.urls")),
    path("healthz", healthz),
    path("favicon.ico", favicon),
    path("office/", include("huiquan.office.urls")),
    # The merchant portal: the application pages (merchants) and the till with the day's sales
    # (redemptions), one namespace.
    path("merchant/", include((merchant_urls.urlpatterns + till_urls.urlpatterns
                               + documents_urls.urlpatterns, "merchant"))),
    path("api/docs", lambda request: redirect("/api/v1/docs")),
    path("admin/", admin.site.urls),
]
