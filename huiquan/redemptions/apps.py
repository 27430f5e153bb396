from django.apps import AppConfig


class RedemptionsConfig(AppConfig):
    name = "huiquan.redemptions"
    label = "redemptions"
    verbose_name = "核销"
