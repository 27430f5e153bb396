"""Reading and answering the API's rush requests without ninja's per-request machinery, which
cost more than a sold-out claim's whole answer (bench/RESULTS.md). The API's writes (a claim, a
till scan, a return) read the Idempotency-Key header straight from the WSGI environ; the claim
also validates its JSON body with pydantic directly from bytes and renders its answer as ninja
renders it. What the operations accept and return stays in the OpenAPI document through
``openapi_extra`` and the operation's declared response models (tests/api checks both)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import pydantic
from django.http import HttpRequest, JsonResponse
from ninja.errors import ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from huiquan.core import clock
from huiquan.core.errors import CoreCode, DomainError

M = TypeVar("M", bound=pydantic.BaseModel)


def idempotency_key(request: HttpRequest) -> str | None:
    return request.META.get("HTTP_IDEMPOTENCY_KEY")


def is_json(request: HttpRequest) -> bool:
    """Whether the request says its body is JSON (``application/json``, or a ``+json`` type)."""
    media = (request.content_type or "").lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


class NotJson(DomainError):
    """A body sent as another type (a form, text/plain): the API reads only JSON (F11)."""

    code = CoreCode.UNSUPPORTED_MEDIA_TYPE
    status = 415


class JsonOnlyParser(Parser):
    """ninja's body parser, refusing a body that does not say it is JSON. ninja turns any parser
    error into a 400; the API's handler of that 400 answers ``NotJson`` as itself (huiquan.api)."""

    def parse_body(self, request: HttpRequest) -> Any:
        if not is_json(request):
            raise NotJson()
        return super().parse_body(request)


def json_body(request: HttpRequest, model: type[M]) -> M:
    """The request's JSON body as ``model``; a body that is not valid JSON or does not fit is
    ninja's own ValidationError (the API's INVALID_INPUT answer names the fields), one that is
    not sent as JSON ``NotJson`` (415)."""
    if request.body and not is_json(request):
        raise NotJson()
    try:
        return model.model_validate_json(request.body or b"{}")
    except pydantic.ValidationError as exc:
        raise ValidationError([
            {**error, "loc": ("body", "payload", *error["loc"])}
            for error in exc.errors(include_url=False, include_input=False, include_context=False)
        ]) from None


class ShanghaiJSONEncoder(NinjaJSONEncoder):
    """Every time in Asia/Shanghai with its offset (``+08:00``), whether it came from the clock
    (already local) or from the database (UTC, which Django's encoder writes as ``Z``): one
    form in every answer (F10; invariant 2)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime) and o.tzinfo is not None:
            return clock.local(o).isoformat()
        return super().default(o)


class ShanghaiRenderer(JSONRenderer):
    encoder_class = ShanghaiJSONEncoder


def answer(data: Any, status: int) -> JsonResponse:
    """``data`` rendered as the API renders any answer (same encoder, same content type)."""
    return JsonResponse(data, status=status, encoder=ShanghaiJSONEncoder, safe=False,
                        content_type="application/json; charset=utf-8")


def openapi_doc(body: type[pydantic.BaseModel] | None = None) -> dict[str, Any]:
    """The operation's ``openapi_extra``: the Idempotency-Key header and, when the body is read
    with ``json_body``, its schema. A fresh dict for each operation (ninja merges it in)."""
    doc: dict[str, Any] = {"parameters": [{
        "in": "header", "name": "Idempotency-Key", "required": False,
        "schema": {"type": "string", "maxLength": 64},
        "description": "同一请求重发时带同一个值：只执行一次，返回第一次的结果。",
    }]}
    if body is not None:
        doc["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": body.model_json_schema()}}}
    return doc


class ErrorOut(pydantic.BaseModel):
    """Every refusal of the API: a stable code (docs/api.md lists them) and a Chinese message."""

    code: str
    message: str


def errors(*statuses: int, body: bool = False) -> dict[int, Any]:
    """An operation's documented refusals for ``response={...}``: the statuses given, plus 422
    (INVALID_INPUT: a parameter or body that does not fit) and, with a body, 413
    (BODY_TOO_LARGE) and 415 (UNSUPPORTED_MEDIA_TYPE). ninja renders none of these from the
    view: the API's exception handlers do; they are here so that the OpenAPI document says which
    answers can come."""
    return {status: ErrorOut
            for status in sorted({*statuses, 422, *((413, 415) if body else ())})}
