"""Who may open the back office, and who may do what in it (R-ROLE-1).

Views check here so a refused person never sees a form or half a page; every service checks
the role again (defence in depth), and the auditor's POSTs are refused by middleware first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from huiquan.catalog import services as catalog_services
from huiquan.core.errors import PermissionRefused
from huiquan.core.roles import Role, role_of
from huiquan.merchants import services as merchant_services

View = Callable[..., HttpResponse]

FUNDS_ROLES = frozenset({Role.FINANCE, Role.BUREAU})  # 登记资金到位 (R-FUND-2)
RELEASE_ROLES = frozenset({Role.BUREAU})  # 确认批次投放 (R-SCHED-4)
# Merchants and the catalogue: the services own the rule, the pages only mirror it.
REVIEW_ROLES = frozenset(merchant_services.REVIEW_ROLES)  # 审核商户 (R-MER-3)
TRAINING_ROLES = frozenset(merchant_services.TRAINING_ROLES)  # 登记培训 (R-MER-5)
SUSPEND_ROLES = frozenset(merchant_services.INTEGRITY_ROLES + merchant_services.REVIEW_ROLES)
INTEGRITY_ROLES = frozenset(merchant_services.INTEGRITY_ROLES)  # 恢复、取消资格 (R-INT-1)
BLACKLIST_ROLES = frozenset(merchant_services.BLACKLIST_ROLES)  # 导入失信名单 (R-MER-4)
CATALOG_ROLES = frozenset(catalog_services.CATALOG_ROLES)  # 修改商品目录 (R-CAT-5)
# Who may see a licence photo (a document with personal data) and a full bank account.
LICENCE_ROLES = frozenset({Role.REVIEWER, Role.BUREAU, Role.AUDITOR, Role.MARKET})
BANK_ACCOUNT_ROLES = frozenset({Role.REVIEWER})
# Which roles get a navigation link to a page (every staff role may still open it by address).
NAV_ROLES = {
    "merchants": frozenset({Role.REVIEWER, Role.BUREAU, Role.MARKET, Role.AUDITOR}),
    "blacklist": frozenset({Role.REVIEWER, Role.BUREAU, Role.MARKET, Role.AUDITOR}),
    "catalog": frozenset({Role.BUREAU, Role.REVIEWER, Role.MARKET, Role.AUDITOR}),
    "review": frozenset({Role.REVIEWER, Role.AUDITOR, Role.BUREAU}),  # 报备审核 (issue 14)
    "settlement": frozenset({Role.FINANCE, Role.BUREAU, Role.AUDITOR}),
    "integrity": frozenset({Role.MARKET, Role.BUREAU, Role.AUDITOR}),
}
NOT_STAFF_MESSAGE = "后台仅限工作人员使用：您的账号没有后台角色。"


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_office_staff", False))


def may(user: Any, roles: Iterable[str]) -> bool:
    """Whether to show a form; the role is read from the user row, never from the request."""
    return role_of(user) in set(roles)


def staff_required(view: View) -> View:
    """Logged in, and holding a staff role; anyone else is refused before any data is read."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff(request.user):
            raise PermissionRefused(NOT_STAFF_MESSAGE)
        return view(request, *args, **kwargs)

    return wrapped
