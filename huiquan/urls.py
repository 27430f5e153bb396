from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import include, path

from huiquan.core import clock


def healthz(request: HttpRequest) -> HttpResponse:
    """No database: the baseline the benchmarks compare against."""
    return JsonResponse({"ok": True, "now": clock.now().isoformat()})


urlpatterns = [
    path("", lambda request: redirect("/office/")),
    path("healthz", healthz),
    path("office/", include("huiquan.office.urls")),
    path("admin/", admin.site.urls),
]
