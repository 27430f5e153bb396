"""A URL conf for the error-page tests: views that fail in each of Django's ways."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST


def refuse(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def malformed(request: HttpRequest) -> HttpResponse:
    raise BadRequest("malformed")


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


@require_POST
def post_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("refuse/", refuse), path("malformed/", malformed), path("broken/", broken),
               path("post-only/", post_only)]
