"""Integrity signals computed from the data, and market supervision's cases (R-INT-1..2).

A ``Signal`` is a pattern in the sales or documents, with the evidence that shows it (which
sales, people, photos, the numbers). ``dedup_key`` names what it is about (kind, shop, and the
person, photo, barcode or episode), so a scan run again updates a signal instead of adding a
twin. A ``Case`` is market supervision's file on one shop, opened from a signal (its evidence is
copied in at that moment: later scans do not change what the case was opened on) or from a
complaint; notes and evidence files are ``CaseEntry`` rows; its one decision is final.

Why a new model and not merchants.IntegrityCase: that row is the merchants app's record of the
shop's standing (a dishonesty-list hit, a disqualification), kept as it is; a case here links
to a signal (integrity's own table, above merchants in the layers) and to files, and has a
workflow and decision merchants knows nothing about. A disqualification decided here still
leaves its merchants.IntegrityCase row (merchants.services does that), citing this case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from huiquan.verification import storage


class SignalKind(models.TextChoices):
    SAME_PERSON = "same_person", "同一人在多家商户"
    PRICE_THRESHOLD = "price_threshold", "成交价集中在封顶线下方"
    PHOTO_REUSE = "photo_reuse", "照片重复使用"
    OFF_HOURS = "off_hours", "营业时间外核销"
    BURST = "burst", "短时间内集中核销"
    RETURN_AFTER_SETTLEMENT = "return_after_settlement", "结算后不久退货"
    PRICE_INFLATION = "price_inflation", "先涨价后打折"


class Severity(models.TextChoices):
    LOW = "low", "低"
    MEDIUM = "medium", "中"
    HIGH = "high", "高"


class Signal(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="+")
    kind = models.CharField("类型", max_length=32, choices=SignalKind.choices)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT,
                                 related_name="supervision_signals")
    dedup_key = models.CharField(max_length=200, unique=True)
    severity = models.CharField("严重程度", max_length=8, choices=Severity.choices)
    score = models.PositiveSmallIntegerField("分值")  # 0–100, for sorting
    summary = models.CharField("摘要", max_length=255)
    evidence = models.JSONField("证据", default=dict)
    first_seen_at = models.DateTimeField("首次发现")
    computed_at = models.DateTimeField("最近计算")

    class Meta:
        ordering = ["-score", "-computed_at", "pk"]
        verbose_name = "诚信信号"
        verbose_name_plural = "诚信信号"
        indexes = [models.Index(fields=["campaign", "kind"]),
                   models.Index(fields=["merchant", "kind"])]
        constraints = [models.CheckConstraint(condition=models.Q(score__lte=100),
                                              name="signal_score_le_100")]

    def __str__(self) -> str:
        return f"信号 #{self.pk} {self.get_kind_display()}"


class CaseState(models.TextChoices):
    OPEN = "open", "调查中"
    DECIDED = "decided", "已处理"


class CaseDecision(models.TextChoices):
    WARNING = "warning", "警告"
    SUSPENSION = "suspension", "暂停参与"
    DISQUALIFICATION = "disqualification", "取消资格（发现一户取消一户）"
    REFERRAL = "referral", "移送有关部门"


class CaseOrigin(models.TextChoices):
    SIGNAL = "signal", "诚信信号"
    COMPLAINT = "complaint", "投诉举报"


class Case(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="+")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT,
                                 related_name="integrity_files")
    origin = models.CharField("来源", max_length=12, choices=CaseOrigin.choices)
    signal = models.ForeignKey(Signal, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="cases")
    signal_snapshot = models.JSONField("立案时的信号证据", default=dict)
    complaint = models.TextField("投诉内容", blank=True)
    title = models.CharField("案由", max_length=255)
    state = models.CharField("状态", max_length=12, choices=CaseState.choices,
                             default=CaseState.OPEN)
    opened_at = models.DateTimeField("立案时间")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    decision = models.CharField("处理决定", max_length=20, choices=CaseDecision.choices,
                                blank=True)
    decision_reason = models.CharField("处理理由", max_length=500, blank=True)
    referred_to = models.CharField("移送部门", max_length=128, blank=True)
    outcome = models.JSONField("处理结果", default=dict)  # states before/after, frozen sales
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = "监管案件"
        verbose_name_plural = "监管案件"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(state="open", decision="", decided_at__isnull=True)
                           | models.Q(state="decided", decided_at__isnull=False)
                           & ~models.Q(decision="")),
                name="case_decided_has_decision"),
            models.UniqueConstraint(fields=["signal"], condition=models.Q(state="open"),
                                    name="case_open_once_per_signal"),
        ]

    def __str__(self) -> str:
        return f"案件 #{self.pk}"


class CaseEntry(models.Model):
    """A note, with or without an evidence file (a photo of the shop, a scan of a statement)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="entries")
    text = models.TextField("内容")
    file = models.FileField(storage=storage.documents, upload_to="integrity/%Y/%m/",
                            max_length=255, blank=True)
    content_type = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    written_at = models.DateTimeField("时间")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")

    class Meta:
        ordering = ["written_at", "pk"]
        verbose_name = "案件记录"
        verbose_name_plural = "案件记录"

    def __str__(self) -> str:
        return f"记录 #{self.pk}（案件 #{self.case_id}）"
