from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "huiquan.campaigns"
    label = "campaigns"
    verbose_name = "活动与批次"
