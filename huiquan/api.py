"""The JSON API (/api/v1/, OpenAPI at /api/docs). Errors are always {"code", "message"}."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from huiquan.core.api_edge import too_large
from huiquan.core.errors import CoreCode, DomainError
from huiquan.core.locks import as_busy

api = NinjaAPI(title="huiquan 惠券 API", version="1", urls_namespace="api",
               docs_url="/docs", openapi_url="/openapi.json")


def _error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message}, status=status)


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message)


@api.exception_handler(OperationalError)
def _database(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """A deadlock or lock timeout anywhere is BUSY (503, try again), never a 500."""
    busy = as_busy(exc)
    if busy is None:
        raise exc
    return _error(request, busy.status, busy.code, busy.message)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = []
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", []) if p not in ("body", "payload"))
        fields.append(loc or "body")
    return _error(request, 422, CoreCode.INVALID_INPUT, "请求内容不正确：" + "、".join(fields))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, CoreCode.UNAUTHENTICATED, "请先登录（令牌无效或已过期）")


@api.exception_handler(HttpError)
def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # ninja could not parse the body: not JSON, or not a JSON object
        return _error(request, 422, CoreCode.INVALID_INPUT, "请求内容不是有效的 JSON")
    return _error(request, exc.status_code, CoreCode.HTTP_ERROR, str(exc))  # pragma: no cover


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return too_large()  # pragma: no cover - ApiEdge refuses such bodies before any view


def _register() -> None:
    from huiquan.catalog.api import router as catalog
    from huiquan.consumers.api import router as consumers
    from huiquan.redemptions.api import router as redemptions
    from huiquan.redemptions.resident_api import router as residents
    from huiquan.vouchers.api import router as vouchers

    api.add_router("/", consumers)
    api.add_router("/", vouchers)
    api.add_router("/", residents)
    api.add_router("/", redemptions)
    api.add_router("/", catalog)


_register()
