"""The /admin/ site: only an active user holding the system admin role may use it.

Django's own test (``is_staff``) is not enough: the flag is a second place a role could hide.
The role decides; ``is_staff``/``is_superuser`` follow it on every save (staff/admin.py). Kept apart
from staff/admin.py because Django builds the default site before it imports the admin modules.
"""

from __future__ import annotations

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
