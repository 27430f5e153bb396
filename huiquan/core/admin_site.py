"""The /admin/ site: only an active user holding the system admin role may use it.

Django's own test (``is_staff``) is not enough: the flag is a second place a role could hide.
The role decides; ``is_staff``/``is_superuser`` follow it on every save (staff/admin.py). Kept apart
from staff/admin.py because Django builds the default site before it imports the admin modules.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huiquan.core.roles import Role, role_of


class HuiquanAdminSite(admin.AdminSite):
    site_header = "惠券 系统管理（原始数据）"
    site_title = "惠券 系统管理"
    index_title = "原始数据"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and role_of(user) == Role.ADMIN)


# Columns a raw-data view never shows: secrets, keyed hashes, ciphertext (invariant 7).
HIDDEN_COLUMNS = ("secret", "hash", "cipher")


class ReadOnlyAdmin(admin.ModelAdmin):
    """An app's table in /admin/, to look at only: every change goes through the app's services
    (one transaction, an audit entry), never through a raw form. Secrets, keyed hashes and
    ciphertext are not shown."""

    list_per_page = 50

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields
                if not any(word in f.name for word in HIDDEN_COLUMNS)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def register_read_only(*models: Any) -> None:
    """Show these tables in /admin/, read-only (each app's admin.py)."""
    for model in models:
        admin.site.register(model, ReadOnlyAdmin)
