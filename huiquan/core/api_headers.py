"""The Idempotency-Key request header of the API's writes (a claim, a till scan, a return).

Read straight from the WSGI environ: ninja's Header() parameter builds ``request.headers`` (a
dict of every header) and a validation model on each call, which cost more than the rest of a
sold-out claim's answer (bench/RESULTS.md). The header is still in the OpenAPI document, through
``idempotency_key_doc()`` as the operation's ``openapi_extra``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def idempotency_key_doc() -> dict[str, Any]:
    """A fresh copy for each operation (ninja merges it into the operation's document)."""
    return {"parameters": [{
        "in": "header", "name": "Idempotency-Key", "required": False,
        "schema": {"type": "string", "maxLength": 64},
        "description": "同一请求重发时带同一个值：只执行一次，返回第一次的结果。",
    }]}


def idempotency_key(request: HttpRequest) -> str | None:
    return request.META.get("HTTP_IDEMPOTENCY_KEY")
