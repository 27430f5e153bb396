from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from huiquan.core.roles import STAFF_ROLES, Role


class User(AbstractUser):
    """Everyone who logs in. ``role`` decides what they may do (R-ROLE-1)."""

    role = models.CharField("角色", max_length=16, choices=Role.choices)
    display_name = models.CharField("姓名/称呼", max_length=64, blank=True)
    organisation = models.CharField("单位", max_length=64, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_known"
            )
        ]

    @property
    def is_office_staff(self) -> bool:
        return self.is_active and self.role in STAFF_ROLES

    def __str__(self) -> str:
        return self.display_name or self.username
