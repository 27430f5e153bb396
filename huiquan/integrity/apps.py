from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    name = "huiquan.integrity"
    label = "integrity"
    verbose_name = "诚信监管"
