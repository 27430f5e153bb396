"""Roles of R-ROLE-1 and the checks every service and view makes.

A user holds exactly one role, stored on the user row and only changed by a system admin.
Nothing a request sends can add a role: views and services read ``user.role`` alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from huiquan.core.errors import PermissionRefused


class Role(models.TextChoices):
    BUREAU = "bureau", "县工信和科技局（活动主管）"
    REVIEWER = "reviewer", "平台审核（建设银行）"
    FINANCE = "finance", "县财政局"
    AUDITOR = "auditor", "县审计局（只读）"
    MARKET = "market", "县市场监管局"
    MERCHANT = "merchant", "商户"
    CONSUMER = "consumer", "消费者"
    ADMIN = "admin", "系统管理员"


STAFF_ROLES = frozenset(
    {Role.BUREAU, Role.REVIEWER, Role.FINANCE, Role.AUDITOR, Role.MARKET, Role.ADMIN}
)
# Roles that may not change anything, anywhere (R-ROLE-1: audit reads everything, changes nothing).
READ_ONLY_ROLES = frozenset({Role.AUDITOR})


def role_of(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", False):
        return None
    return getattr(user, "role", None) or None


def require_role(user: Any, roles: Iterable[str], *, action: str) -> str:
    """Refuse unless ``user`` is active and holds one of ``roles``; return the role."""
    role = role_of(user)
    allowed = set(roles)
    if role is None or role not in allowed:
        names = "、".join(Role(r).label for r in sorted(allowed))
        raise PermissionRefused(f"您没有权限执行「{action}」，需要的角色：{names}")
    return role
