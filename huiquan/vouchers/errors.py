from __future__ import annotations

from huiquan.core.errors import DomainError


class ClaimRefused(DomainError):
    """Every refusal of a claim has its own stable code (docs/api.md)."""

    status = 409
