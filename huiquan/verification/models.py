"""Claim documents (报备资料, R-DOC-1..3), their automatic checks and their review (R-DOC-2).

One ``Submission`` per completed sale (redemption): the merchant fills in the typed facts and
uploads the seven kinds of document; each sending makes a new ``version``, and every check
result, document and review decision keeps the version it belongs to, so the whole history of a
submission stays readable. An approved submission is what settlement pays (invariant 6).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from huiquan.verification import storage


class SubmissionState(models.TextChoices):
    DRAFT = "draft", "草稿"
    CHECKING = "checking", "自动核验中"
    IN_REVIEW = "in_review", "待审核"
    CORRECTION = "correction", "待补正"  # the reviewer asked the merchant to fix something
    SECOND_REVIEW = "second_review", "待复核"  # four-eyes: approved once, a second reviewer confirms
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "审核不通过"


# States in which the merchant may still change the submission.
EDITABLE_STATES = (SubmissionState.DRAFT, SubmissionState.CORRECTION)


class DocumentKind(models.TextChoices):
    ID_CARD = "id_card", "消费者身份证件"
    INVOICE = "invoice", "发票"
    PAYMENT_PROOF = "payment_proof", "付款凭证"
    GOODS_PHOTO = "goods_photo", "商品照片"
    ENERGY_LABEL = "energy_label", "能效标识照片"  # appliances only
    CONFIRMATION = "confirmation", "签字确认书"


# What each kind accepts (checked by content, huiquan/verification/files.py) and how many files.
KIND_FORMATS: dict[str, frozenset[str]] = {
    DocumentKind.ID_CARD: frozenset({"image"}),
    DocumentKind.INVOICE: frozenset({"image", "pdf", "ofd"}),
    DocumentKind.PAYMENT_PROOF: frozenset({"image", "pdf"}),
    DocumentKind.GOODS_PHOTO: frozenset({"image"}),
    DocumentKind.ENERGY_LABEL: frozenset({"image"}),
    DocumentKind.CONFIRMATION: frozenset({"image", "pdf"}),
}
KIND_MAX_FILES: dict[str, int] = {DocumentKind.GOODS_PHOTO: 6, DocumentKind.ID_CARD: 2}


class Submission(models.Model):
    redemption = models.OneToOneField("redemptions.Redemption", on_delete=models.PROTECT,
                                      related_name="submission")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT,
                                 related_name="submissions")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="submissions")
    state = models.CharField("状态", max_length=16, choices=SubmissionState.choices,
                             default=SubmissionState.DRAFT)
    version = models.PositiveIntegerField("提交次数", default=0)  # 0: never sent
    due_at = models.DateTimeField("提交截止")  # R-DOC-3
    # The typed facts of R-DOC-1 (checked against the sale and the documents).
    phone = models.CharField("消费者手机号", max_length=11, blank=True)
    invoice_number = models.CharField("发票号码", max_length=32, blank=True)
    invoice_date = models.DateField("开票日期", null=True, blank=True)
    invoice_buyer_name = models.CharField("发票购买方", max_length=64, blank=True)
    invoice_amount_fen = models.BigIntegerField("发票金额(分)", null=True, blank=True)
    payment_amount_fen = models.BigIntegerField("付款凭证金额(分)", null=True, blank=True)
    energy_label_gtin = models.CharField("能效标识国标码", max_length=13, blank=True)
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    approved_at = models.DateTimeField("通过时间", null=True, blank=True)

    class Meta:
        verbose_name = "报备资料"
        verbose_name_plural = "报备资料"
        indexes = [models.Index(fields=["campaign", "state"]),
                   models.Index(fields=["merchant", "state"]),
                   models.Index(fields=["invoice_number"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="approved") | models.Q(approved_at__isnull=False),
                name="submission_approved_has_time"),
        ]

    def __str__(self) -> str:
        return f"报备 #{self.pk}（核销 #{self.redemption_id}）"


class Document(models.Model):
    """One uploaded file, checked by content and re-encoded (images) before it is stored."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="documents")
    version = models.PositiveIntegerField()  # the submission's version it was sent with
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    file = models.FileField(storage=storage.documents, upload_to=storage.upload_path,
                            max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    phash = models.CharField(max_length=32, blank=True, db_index=True)  # images: perceptual hash
    original_name = models.CharField("原文件名", max_length=128, blank=True)  # shown, never used
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)  # replaced before sending

    class Meta:
        verbose_name = "报备文件"
        verbose_name_plural = "报备文件"
        indexes = [models.Index(fields=["submission", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class CheckOutcome(models.TextChoices):
    PASS = "pass", "通过"
    FAIL = "fail", "不通过"
    REVIEW = "review", "需人工判断"


class CheckResult(models.Model):
    """One named automatic check of one version of a submission, with its evidence."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="checks")
    version = models.PositiveIntegerField()
    rule = models.CharField(max_length=32)  # e.g. "invoice_buyer_name"
    outcome = models.CharField(max_length=8, choices=CheckOutcome.choices)
    evidence = models.JSONField(default=dict)
    checked_at = models.DateTimeField()

    class Meta:
        verbose_name = "自动核验"
        verbose_name_plural = "自动核验"
        constraints = [models.UniqueConstraint(fields=["submission", "version", "rule"],
                                               name="check_once_per_version")]

    def __str__(self) -> str:
        return f"{self.rule}: {self.outcome}"


class Decision(models.TextChoices):
    APPROVE = "approve", "通过"
    CONFIRM = "confirm", "复核通过"  # the second pair of eyes
    REJECT = "reject", "不通过"
    CORRECTION = "correction", "退回补正"


class ReviewDecision(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="decisions")
    version = models.PositiveIntegerField()
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    decision = models.CharField(max_length=12, choices=Decision.choices)
    reason = models.CharField(max_length=255, blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        verbose_name = "审核意见"
        verbose_name_plural = "审核意见"
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} #{self.submission_id}"
