from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "huiquan.core"
    label = "core"
    verbose_name = "核心"
