"""Merchants: application, review, training, the dishonesty list and integrity cases
(R-MER-1..5, R-INT-1..2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MerchantState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"
    SUSPENDED = "suspended", "已暂停"
    DISQUALIFIED = "disqualified", "已取消资格"


class Scale(models.TextChoices):
    INDIVIDUAL = "individual", "个体工商户"
    MICRO = "micro", "小微企业"
    MEDIUM = "medium", "中型企业"
    LARGE = "large", "大型企业"


class Merchant(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="merchants")
    legal_name = models.CharField("营业执照名称", max_length=128)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    address = models.CharField("经营地址", max_length=255, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)  # as reported, see coord_system
    lng = models.FloatField("经度", null=True, blank=True)
    coord_system = models.CharField("坐标系", max_length=8, default="gcj02")
    categories = models.JSONField("经营类别", default=list)  # category codes of annex 2
    scale = models.CharField("经营规模", max_length=16, choices=Scale.choices, blank=True)
    bank_name = models.CharField("开户银行", max_length=64, blank=True)
    bank_account_name = models.CharField("账户名称", max_length=128, blank=True)
    bank_account = models.CharField("结算账号", max_length=32, blank=True)
    licence = models.FileField("营业执照照片", upload_to="licences/%Y/", blank=True)
    licence_sha256 = models.CharField(max_length=64, blank=True)
    contact_phone = models.CharField("联系电话", max_length=11, blank=True)
    state = models.CharField("状态", max_length=16, choices=MerchantState.choices,
                             default=MerchantState.DRAFT)
    checks = models.JSONField("自动核验结果", default=dict)
    created_at = models.DateTimeField("创建时间")
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decision_reason = models.CharField("审核意见", max_length=255, blank=True)
    state_reason = models.CharField("暂停/取消原因", max_length=255, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["campaign", "pk"]
        verbose_name = "商户"
        verbose_name_plural = "商户"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "uscc"], condition=~models.Q(uscc=""),
                                    name="merchant_uscc_unique"),
        ]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def bank_account_masked(self) -> str:
        a = self.bank_account
        return f"{a[:4]}****{a[-4:]}" if len(a) > 8 else ("****" if a else "")


class MerchantStaff(models.Model):
    """A person who may use the merchant's till; signs in with phone + code."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="staff")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="merchant_staff")
    name = models.CharField("姓名", max_length=32, blank=True)
    is_owner = models.BooleanField("负责人", default=False)

    class Meta:
        verbose_name = "商户人员"
        verbose_name_plural = "商户人员"

    def __str__(self) -> str:
        return f"{self.merchant}·{self.name or self.user}"


class TrainingMode(models.TextChoices):
    ONLINE = "online", "线上"
    OFFLINE = "offline", "线下"


class Training(models.Model):
    """R-MER-5: who of the merchant was trained, when, how, by whom."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="trainings")
    trainee_name = models.CharField("受训人员", max_length=64)
    mode = models.CharField("方式", max_length=8, choices=TrainingMode.choices)
    trained_at = models.DateTimeField("培训时间")
    topics = models.CharField("内容", max_length=255,
                              default="活动规则、核销流程、申报材料")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField("登记时间")

    class Meta:
        ordering = ["-trained_at"]
        verbose_name = "培训记录"
        verbose_name_plural = "培训记录"

    def __str__(self) -> str:
        return f"{self.trainee_name} {self.trained_at:%Y-%m-%d}"


class BlacklistEntry(models.Model):
    """One line of the social-credit dishonesty list (失信名单, R-MER-4)."""

    uscc = models.CharField("统一社会信用代码", max_length=18, db_index=True)
    name = models.CharField("名称", max_length=128)
    source = models.CharField("来源", max_length=128)
    listed_on = models.DateField("列入日期")
    imported_at = models.DateTimeField("导入时间")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-imported_at", "pk"]
        verbose_name = "失信名单"
        verbose_name_plural = "失信名单"
        constraints = [models.UniqueConstraint(fields=["uscc", "source", "listed_on"],
                                               name="blacklist_entry_once")]

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class IntegrityCase(models.Model):
    """An integrity matter about a merchant (R-INT-1..2), opened by a dishonesty-list hit or by
    market supervision; it keeps the evidence of who, what, when."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="cases")
    opened_at = models.DateTimeField("立案时间")
    reason = models.CharField("事由", max_length=255)
    blacklist_entry = models.ForeignKey(BlacklistEntry, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="cases")
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    resolution = models.CharField("处理结果", max_length=255, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = "诚信案件"
        verbose_name_plural = "诚信案件"
        constraints = [models.UniqueConstraint(
            fields=["merchant", "blacklist_entry"], condition=models.Q(closed_at__isnull=True),
            name="case_open_once_per_entry")]

    def __str__(self) -> str:
        return f"案件 #{self.pk} {self.merchant}"
