"""Bearer-token authentication for the API (tokens from /api/v1/auth/verify)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from huiquan.consumers.selectors import user_for_token


class BearerAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        # As HttpBearer does, from request.META: request.headers would first build a dict of
        # every header, on every till scan and claim.
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


bearer = BearerAuth()
