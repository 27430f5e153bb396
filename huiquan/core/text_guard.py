"""Text the database cannot store is refused at the edge (hostile input, second round: F1).

PostgreSQL refuses a NUL character (U+0000) in any text value, and a lone UTF-16 surrogate
(``"\\ud800"`` in JSON) cannot be encoded at all: either, reaching a query, was a 500. Django's
form ``CharField`` already refuses NUL, but the API's JSON, query strings read without a form
(search boxes), headers that are stored (``Idempotency-Key``) and raw ``request.POST`` reads did
not. Rather than a check in every field, this middleware looks at everything a request carries
before any view or the session sees it:

- the path, every header, every query-string and form value (and an uploaded file's name);
- a JSON body: only when it holds a ``\\u0000`` or a surrogate escape is it parsed and
  walked, to name the field; an ordinary body costs one regular-expression scan.

The refusal names the field: JSON ``{code: TEXT_INVALID, message}`` (422) under /api/ (or when
JSON is asked for), the plain Chinese error page elsewhere. Placed right after the API's edge
(the body limit) and before everything that reads the request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from huiquan.core.errors import CoreCode, DomainError

NUL = "\x00"
# A JSON escape of NUL or of a surrogate half: the only bodies worth a walk (a raw NUL byte is
# not valid JSON: the view refuses such a body as INVALID_INPUT).
_SUSPECT_JSON = re.compile(rb"\\u(?:0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def storable(text: str) -> bool:
    """Whether the database can keep ``text`` as it is: no NUL, no lone surrogate."""
    if NUL in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def refusal(field: str) -> DomainError:
    return DomainError(f"“{field}”含有无法保存的字符（空字符 \\0 或残缺的 Unicode 字符）：请删除后重新提交",
                       code=CoreCode.TEXT_INVALID)


def _bad_in_pairs(pairs: Iterable[tuple[str, Any]]) -> str | None:
    for key, value in pairs:
        if not storable(key):
            return "参数名"
        if isinstance(value, str) and not storable(value):
            return key
    return None


def _bad_in_json(value: Any, where: str = "") -> str | None:
    if isinstance(value, str):
        return None if storable(value) else (where or "body")
    if isinstance(value, dict):
        for key, item in value.items():
            if not storable(key):
                return f"{where}.键名" if where else "键名"
            found = _bad_in_json(item, f"{where}.{key}" if where else str(key))
            if found:
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            found = _bad_in_json(item, f"{where}.{n}" if where else str(n))
            if found:
                return found
    return None


def _headers(request: HttpRequest) -> Iterator[tuple[str, Any]]:
    for key, value in request.META.items():
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            yield key[5:].replace("_", "-").title() if key.startswith("HTTP_") else key, value


def unstorable_field(request: HttpRequest) -> str | None:
    """The name of the first part of the request that holds text the database cannot store."""
    if not storable(request.path_info):
        return "地址"
    found = _bad_in_pairs(_headers(request))
    if found:
        return f"请求头 {found}"
    query = request.META.get("QUERY_STRING", "")
    if ("%00" in query or NUL in query) and (found := _bad_in_pairs(_flat(request.GET.lists()))):
        return found
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type or ""
    if content_type.startswith(_FORM_TYPES) and not request.path_info.startswith("/api/"):
        found = _bad_in_pairs(_flat(request.POST.lists()))
        if found:
            return found
        for _, uploads in request.FILES.lists():
            if any(not storable(upload.name or "") for upload in uploads):
                return "文件名"
        return None
    body = request.body
    if body and _SUSPECT_JSON.search(body):
        try:
            return _bad_in_json(json.loads(body))
        except (ValueError, RecursionError):
            return None  # not JSON: the view says so
    return None


def _flat(lists: Iterable[tuple[str, list[Any]]]) -> Iterator[tuple[str, Any]]:
    for key, values in lists:
        for value in values:
            yield key, value


class RefuseUnstorableText:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = unstorable_field(request)
        if field is None:
            return self.get_response(request)
        error = refusal(field)
        if request.path_info.startswith("/api/") or "application/json" in request.META.get(
                "HTTP_ACCEPT", ""):
            response: HttpResponse = JsonResponse(error.as_dict(), status=error.status)
            response["X-Content-Type-Options"] = "nosniff"
            return response
        # The plain page: nothing on it needs the session or the user, which are not loaded yet.
        return render(request, "core/error.html", {"error": error}, status=error.status)
