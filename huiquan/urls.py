from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import include, path, register_converter

from huiquan.api import api
from huiquan.core import clock
from huiquan.core.converters import DatabaseId
from huiquan.core.headers import favicon

register_converter(DatabaseId, "id")  # <id:...> in the apps' URLs: never above 2^63 - 1


def healthz(request: HttpRequest) -> HttpResponse:
    """No database: the baseline the benchmarks compare against."""
    return JsonResponse({"ok": True, "now": clock.now().isoformat()})


urlpatterns = [
    path("api/v1/", api.urls),  # first: the release-day hot path resolves in one step
    path("", include("huiquan.vouchers.urls")),
    path("healthz", healthz),
    path("favicon.ico", favicon),
    path("office/", include("huiquan.office.urls")),
    path("merchant/", include("huiquan.merchants.urls")),
    path("api/docs", lambda request: redirect("/api/v1/docs")),
    path("admin/", admin.site.urls),
]
