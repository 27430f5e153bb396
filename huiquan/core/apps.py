from typing import Any

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


def _update_last_login(sender: Any, user: Any, **kwargs: Any) -> None:
    """Django's own receiver, on huiquan's clock (invariant 2: the demo clock too)."""
    from huiquan.core import clock

    user.last_login = clock.now()
    user.save(update_fields=["last_login"])


class CoreConfig(AppConfig):
    name = "huiquan.core"
    label = "core"
    verbose_name = "核心"
    default = True

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from huiquan.core.startup import refuse_unsafe_start

        # Production refuses to start with sandbox providers, missing keys or DEBUG: one line per
        # setting, from every entry (huiquan serve, any huiquan command, a WSGI server).
        refuse_unsafe_start()

        from huiquan.core import logmask

        logmask.install()  # handlers set up outside settings.LOGGING mask personal data too

        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(_update_last_login, dispatch_uid="update_last_login")


class HuiquanAdminConfig(admin_apps.AdminConfig):
    """/admin/ with huiquan's site: only the system admin role may use it (core/admin_site.py)."""

    default = False
    default_site = "huiquan.core.admin_site.HuiquanAdminSite"
