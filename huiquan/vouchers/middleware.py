"""The sold-out crowd's short cut (release day).

Once this process has seen a release sold out (its remaining count only ever goes down), a claim
for it that carries a well-signed, unexpired token and no Idempotency-Key to replay is answered
here, before the rest of the middleware, the API layer and the database: the location is checked
exactly as the service checks it, then SOLD_OUT. Anything else — a forged or unsigned token, a key
to replay, a body that is not plain JSON numbers — goes the normal way.

The one difference from the normal path, accepted on purpose (docs/decisions.md): a revoked token
or a not-yet-verified person may hear "sold out" where the normal path would say "sign in again"
or "verify first". Both are refusals; "sold out" is public; nothing is read or written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from huiquan.consumers.selectors import signed_token_user
from huiquan.core import geo
from huiquan.core.api_io import is_json
from huiquan.core.errors import DomainError
from huiquan.vouchers import services

CLAIM_PATH = re.compile(r"^/api/v1/releases/(\d{1,12})/claims$")


class SoldOutShortCut:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and services._sold_out:
            match = CLAIM_PATH.match(request.path_info)
            if match and int(match.group(1)) in services._sold_out:
                answer = self._answer(request)
                if answer is not None:
                    return answer
        return self.get_response(request)

    @staticmethod
    def _answer(request: HttpRequest) -> HttpResponse | None:
        if "HTTP_IDEMPOTENCY_KEY" in request.META or not is_json(request):
            return None  # a key to replay; a body not sent as JSON (refused the normal way)
        auth = request.META.get("HTTP_AUTHORIZATION", "")
        if not auth.startswith("Bearer ") or signed_token_user(auth[7:].strip()) is None:
            return None
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return None
        if not isinstance(body, dict) or set(body) - {"lat", "lng", "coord_system"}:
            return None
        lat, lng = body.get("lat"), body.get("lng")
        system = body.get("coord_system", "wgs84")
        numbers = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
                      for v in (lat, lng))
        if not numbers or not isinstance(system, str):
            return None
        try:
            geo.parse_point(lat, lng, system)
            raise services.sold_out_refusal()
        except DomainError as refused:
            response = JsonResponse(refused.as_dict(), status=refused.status)
            response["X-Content-Type-Options"] = "nosniff"
            return response
