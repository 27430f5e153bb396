"""The edge of the JSON API (issue 11, item 3): whatever reaches /api/ answers ``{code, message}``.

Placed first in MIDDLEWARE, before the release-day short cut (which reads the body):

- a body larger than ``MAX_API_BODY`` is refused before anybody reads it: 413 ``BODY_TOO_LARGE``
  (the API's bodies are a few kilobytes; Django's own limit, sized for licence uploads on pages,
  would answer an HTML 400);
- an answer Django or ninja made as a page (an unknown route, a method the route does not take, a
  400 from Django's request checks) becomes JSON with a documented code: ``NOT_FOUND``,
  ``METHOD_NOT_ALLOWED``, ``INVALID_INPUT``, ``BODY_TOO_LARGE`` (and a bug's 500, ``SERVER_ERROR``).

Answers the API already made as JSON pass through untouched; a good request costs a prefix test
and a header read."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from huiquan.core.errors import CoreCode

API_PREFIX = "/api/"
# The API's documents are read, never written: ninja's views (and /api/docs's redirect) answered
# any method with the document or a redirect (hostile input second round, F4).
READ_ONLY = frozenset({"/api/docs", "/api/v1/docs", "/api/v1/openapi.json"})
READ_METHODS = ("GET", "HEAD")
MAX_API_BODY = 256 * 1024  # bytes: a sale of 50 lines is under 10 KB

# status of a page-shaped answer → the API's code and message for it
_AS_JSON = {
    400: (CoreCode.INVALID_INPUT, "请求格式不正确"),
    404: (CoreCode.NOT_FOUND, "接口不存在：请核对地址（/api/v1/...）"),
    405: (CoreCode.METHOD_NOT_ALLOWED, "该接口不支持这种请求方法"),
    413: (CoreCode.BODY_TOO_LARGE, "请求内容过大"),
    500: (CoreCode.SERVER_ERROR, "服务器内部错误：已记录，请稍后再试"),  # a bug: never HTML all the same
}


def too_large() -> JsonResponse:
    return error_response(CoreCode.BODY_TOO_LARGE, f"请求内容过大：最多 {MAX_API_BODY // 1024} KB", 413)


def error_response(code: str, message: str, status: int) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message}, status=status)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ApiEdge:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not (length.isascii() and length.isdigit()):
            return error_response(CoreCode.INVALID_INPUT, "Content-Length 不正确", 400)
        if int(length) > MAX_API_BODY:
            return too_large()
        if request.path_info in READ_ONLY and request.method not in READ_METHODS:
            refused = error_response(CoreCode.METHOD_NOT_ALLOWED, _AS_JSON[405][1], 405)
            refused["Allow"] = ", ".join(READ_METHODS)
            return refused
        response = self.get_response(request)
        if response.status_code in _AS_JSON and not response.get(
                "Content-Type", "").startswith("application/json"):
            code, message = _AS_JSON[response.status_code]
            replaced = error_response(code, message, response.status_code)
            if response.has_header("Allow"):
                replaced["Allow"] = response["Allow"]
            return replaced
        return response
