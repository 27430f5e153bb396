from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Back-office accounts: made, re-linked and switched off (the User table is core's)."""

    name = "huiquan.staff"
    label = "staff"
    verbose_name = "后台账号"
