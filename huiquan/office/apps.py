from django.apps import AppConfig


class OfficeConfig(AppConfig):
    name = "huiquan.office"
    label = "office"
    verbose_name = "后台"
