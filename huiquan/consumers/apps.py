from django.apps import AppConfig


class ConsumersConfig(AppConfig):
    name = "huiquan.consumers"
    label = "consumers"
    verbose_name = "消费者实名"
