from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "huiquan.vouchers"
    label = "vouchers"
    verbose_name = "消费券"
