"""/admin/ (raw data): the user model with its role.

Only an active user holding the system admin role may use /admin/ (ARCHITECTURE.md "who uses
it"; the site is huiquan.core.admin_site). ``is_staff``/``is_superuser`` follow the role on every
save here.

Staff accounts are normally made with `huiquan staff add` (a set-password link, an audit entry);
here the system admin can correct a name, an organisation, a phone or a role. Every save is
written to the audit chain as well as to Django's admin log. Users are never deleted (their
actions are in the audit chain): an account is switched off instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest

from huiquan.audit.services import record
from huiquan.core.errors import DomainError
from huiquan.core.models import User
from huiquan.core.roles import STAFF_ROLES, Role
from huiquan.staff.services import OFFICE_ROLES, normalise_staff_phone, snapshot

PHONE_ROLES = frozenset({Role.CONSUMER, Role.MERCHANT})  # they sign in by one-time code


class _RoleRules(forms.ModelForm):
    def clean_phone(self) -> str:
        try:
            return normalise_staff_phone(self.cleaned_data.get("phone"))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_role(self) -> str:
        role = self.cleaned_data.get("role")
        before = self.instance.role if self.instance.pk else None
        if before is not None and (before in PHONE_ROLES) != (role in PHONE_ROLES):
            raise forms.ValidationError(
                "手机验证码登录的账号（消费者、商户）与后台账号之间不能互改角色：请另建账号")
        if before is None and role not in STAFF_ROLES:
            raise forms.ValidationError("这里只新建后台账号；消费者和商户用手机验证码自行注册")
        return str(role)


class StaffChangeForm(_RoleRules, UserChangeForm):  # type: ignore[misc]
    pass


class StaffCreationForm(_RoleRules, AdminUserCreationForm):  # type: ignore[misc]
    role = forms.ChoiceField(label="角色", choices=[(r.value, r.label) for r in OFFICE_ROLES])


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    list_display = ("username", "display_name", "role", "organisation", "phone", "is_active",
                    "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "organisation", "phone")
    ordering = ("role", "username")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("身份与角色", {"fields": ("role", "display_name", "organisation", "phone")}),
        ("状态", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "role", "display_name", "organisation", "phone",
                           "usable_password", "password1", "password2")}),
    )
    filter_horizontal = ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        before = snapshot(User.objects.get(pk=obj.pk)) if change else None
        obj.is_staff = obj.is_superuser = obj.role == Role.ADMIN
        super().save_model(request, obj, form, change)
        # The admin's change form runs in one transaction: the audit entry joins it.
        record(actor=request.user, action="user.change" if change else "user.add",
               obj_type="user", obj_id=obj.pk,
               summary=f"系统管理：{'修改' if change else '新建'}账号 {obj.username}",
               before=before, after=snapshot(obj))
