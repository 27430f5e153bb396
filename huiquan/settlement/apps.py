from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "huiquan.settlement"
    label = "settlement"
    verbose_name = "结算与追缴"
