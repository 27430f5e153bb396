from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "huiquan.verification"
    label = "verification"
    verbose_name = "报备资料审核"
