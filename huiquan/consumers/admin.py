"""/admin/ (raw data, system admins only): residents' accounts, read-only, with the notes about
each ID number that are meant for staff (consumers.selectors.id_notes), never for the resident."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huiquan.consumers.models import Consumer, IdentityConsent, SmsMessage
from huiquan.consumers.selectors import id_notes, mask_phone
from huiquan.core.admin_site import register_read_only


@admin.register(Consumer)
class ConsumerAdmin(admin.ModelAdmin):
    list_display = ("pk", "name", "phone_masked", "id_masked", "verified_at", "held_at",
                    "id_note")
    list_filter = ("verified_at", "held_at")
    fields = ("name", "phone_masked", "id_masked", "verified_at", "held_at", "held_reason",
              "id_note", "created_at")
    readonly_fields = fields
    list_per_page = 50

    @admin.display(description="姓名")
    def name(self, obj: Consumer) -> str:
        return obj.real_name or "（未实名）"

    @admin.display(description="手机号")
    def phone_masked(self, obj: Consumer) -> str:
        return mask_phone(obj.phone)

    @admin.display(description="证件提示（给工作人员）")
    def id_note(self, obj: Consumer) -> str:
        return "；".join(id_notes(obj)) or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


register_read_only(IdentityConsent, SmsMessage)
