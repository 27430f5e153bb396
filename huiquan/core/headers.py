"""Response headers every page carries (issue 11, item 9).

- **Content-Security-Policy** (django-csp): scripts, styles, images, fonts and connections only
  from this site, no inline script or style, no plugins, no framing, forms post only here. The
  templates hold no inline code (a test reads them all), so the policy needs no 'unsafe-inline'.
- **Cache-Control: no-store** on everything a signed-in person sees (a request with a session
  cookie or a bearer token) and on every PDF: a shared computer's back button or disk cache must
  not show someone's voucher, payment code, ID number or confirmation form to the next person.
- **/favicon.ico** for browsers that ask for it by name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase

NO_STORE = "private, no-store"
_PER_VIEW = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")


@cache
def _site_policy() -> str:
    return build_policy()


class ContentSecurityPolicy(CSPMiddleware):
    """django-csp's middleware, with the site-wide header built once per process.

    Building the policy costs ~0.1 ms per response, paid by every claim and till scan on release
    day; the policy never changes while the process runs. A view that asks for its own policy
    (django-csp's decorators) or a nonce still goes through django-csp unchanged."""

    def process_response(self, request: HttpRequest,
                         response: HttpResponseBase) -> HttpResponseBase:
        if any(hasattr(response, a) for a in _PER_VIEW) or getattr(request, "_csp_nonce", None):
            return super().process_response(request, response)
        if HEADER not in response:
            response[HEADER] = _site_policy()
        return response


class NoStoreWhenSignedIn:
    """``Cache-Control: private, no-store`` on answers to signed-in requests and on PDFs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (settings.SESSION_COOKIE_NAME in request.COOKIES
                or "HTTP_AUTHORIZATION" in request.META
                or response.get("Content-Type", "").startswith("application/pdf")):
            cache_control = response.get("Cache-Control", "")
            if "no-store" not in cache_control and "public" not in cache_control:
                response["Cache-Control"] = NO_STORE
        return response


def favicon(request: HttpRequest) -> FileResponse:
    """/favicon.ico, the same file the pages link to (core/static/core/favicon.ico)."""
    path = finders.find("core/favicon.ico")
    if not path:  # pragma: no cover - shipped with the code
        raise Http404
    response = FileResponse(open(str(path), "rb"), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
