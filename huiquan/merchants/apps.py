from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "huiquan.merchants"
    label = "merchants"
    verbose_name = "商户"
