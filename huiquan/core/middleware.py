"""Request-wide guards: read-only roles, and domain errors turned into pages or JSON."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from huiquan.core.errors import CoreCode, DomainError
from huiquan.core.locks import as_busy
from huiquan.core.roles import READ_ONLY_ROLES, role_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Paths a read-only user may still POST to: logging out changes nothing of the campaign.
READ_ONLY_EXEMPT = ("/office/logout/",)


def _refuse(request: HttpRequest, error: DomainError) -> HttpResponse:
    if request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    ):
        return JsonResponse(error.as_dict(), status=error.status)
    return render(request, error_page(request.path), {"error": error}, status=error.status)


def error_page(path: str) -> str:
    """The template of a refusal page: a surface's own (settings.HUIQUAN_ERROR_PAGES, by path
    prefix: the office keeps its navigation) or core's plain page."""
    for prefix, template in settings.HUIQUAN_ERROR_PAGES:
        if path.startswith(prefix):
            return str(template)
    return "core/error.html"


class ReadOnlyRoleMiddleware:
    """The auditor changes nothing anywhere: enforced here for every URL, not by hiding buttons.

    Services check roles again (defence in depth); this catches any view that forgets.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in SAFE_METHODS
            # request.user comes from the session: without a session cookie it is anonymous, and
            # loading it would cost a session look-up on every claim and till scan (bearer
            # tokens are checked by the API and the services)
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and role_of(request.user) in READ_ONLY_ROLES
            and not request.path.startswith(READ_ONLY_EXEMPT)
        ):
            return _refuse(
                request,
                DomainError("审计角色为只读：可以查看一切，不能做任何修改。", code=CoreCode.READ_ONLY,
                            status=403),
            )
        return self.get_response(request)


class MethodNotAllowedPage:
    """A page address asked with a method it does not take (``require_POST`` and friends answer
    an empty 405): a Chinese page instead of a blank one (F12). The API answers its own JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or request.path_info.startswith("/api/") or getattr(
                response, "streaming", False) or response.content:
            return response
        page = render(request, "405.html", status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page


class DomainErrorMiddleware:
    """A DomainError that escapes a view becomes a clear page (or JSON body), never a 500;
    so does a database deadlock or lock timeout (BUSY: try again)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return _refuse(request, exception)
        busy = as_busy(exception)
        if busy is not None:
            return _refuse(request, busy)
        return None
