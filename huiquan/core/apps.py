from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "huiquan.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from huiquan.core import logmask

        logmask.install()  # handlers set up outside settings.LOGGING mask personal data too
