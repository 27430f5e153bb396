"""Redemption at the till (R-USE-1..5, R-RET-1..2; invariant 5).

A redemption reserves the subsidy from its release's money (``pending``), the consumer's share
is paid through the payment provider, then it is ``completed`` (voucher used, subsidy owed to
the merchant) or ``failed`` (reservation released). At most one live redemption per consumer
and campaign, and per voucher, is a database constraint, whatever the race.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RedemptionState(models.TextChoices):
    PENDING = "pending", "支付中"
    COMPLETED = "completed", "已核销"
    FAILED = "failed", "支付失败"


LIVE_STATES = (RedemptionState.PENDING, RedemptionState.COMPLETED)


class RefundState(models.TextChoices):
    """A refund to the payer. Pending and failed ones are sent again by ``huiquan tick``."""

    NONE = "none", "无需退款"
    PENDING = "pending", "退款处理中"
    DONE = "done", "已退款"
    FAILED = "failed", "退款失败，系统将重试"


class Redemption(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="redemptions")
    release = models.ForeignKey("campaigns.Release", on_delete=models.PROTECT,
                                related_name="redemptions")
    voucher = models.ForeignKey("vouchers.Voucher", on_delete=models.PROTECT,
                                related_name="redemptions")
    consumer = models.ForeignKey("consumers.Consumer", on_delete=models.PROTECT,
                                 related_name="redemptions")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT,
                                 related_name="redemptions")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    state = models.CharField("状态", max_length=16, choices=RedemptionState.choices)
    total_final_fen = models.BigIntegerField("成交总价(分)")
    eligible_final_fen = models.BigIntegerField("补贴商品成交价(分)")
    subsidy_fen = models.BigIntegerField("补贴(分)")
    consumer_pays_fen = models.BigIntegerField("消费者实付(分)")
    subsidy_by_source = models.JSONField("补贴资金来源", default=dict)  # {source id: fen}
    subsidy_returned_fen = models.BigIntegerField("结算前退回补贴(分)", default=0)
    clawback_fen = models.BigIntegerField("结算后追缴补贴(分)", default=0)
    payment_key = models.CharField(max_length=64, unique=True)
    payment_reference = models.CharField("支付流水号", max_length=64, blank=True)
    failure_code = models.CharField(max_length=32, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField("核销时间")
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    settled_at = models.DateTimeField("结算时间", null=True, blank=True)  # set by settlement
    sealed = models.BooleanField(default=False)  # included in an audit seal (invariant 9)
    # Not a column: the lines a sale just wrote, kept on the instance that sale returns so its
    # answer needs no read back (services.redeem_voucher, selectors.view_after_sale; issue 15).
    lines_written: list[RedemptionLine] | None = None

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "核销记录"
        verbose_name_plural = "核销记录"
        constraints = [
            # Invariant 5 and R-USE-3: one live redemption per consumer and campaign.
            models.UniqueConstraint(fields=["consumer", "campaign"],
                                    condition=models.Q(state__in=LIVE_STATES),
                                    name="redemption_live_once_per_consumer"),
            models.UniqueConstraint(fields=["voucher"], condition=models.Q(state__in=LIVE_STATES),
                                    name="redemption_live_once_per_voucher"),
            models.UniqueConstraint(fields=["merchant", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""),
                                    name="redemption_idempotency_once"),
            models.CheckConstraint(condition=models.Q(subsidy_fen__gt=0)
                                   & models.Q(subsidy_fen__lte=models.F("eligible_final_fen"))
                                   & models.Q(eligible_final_fen__lte=models.F("total_final_fen")),
                                   name="redemption_subsidy_bounded"),
            models.CheckConstraint(
                condition=models.Q(consumer_pays_fen=models.F("total_final_fen")
                                   - models.F("subsidy_fen")),
                name="redemption_consumer_pays_rest"),
            models.CheckConstraint(
                condition=models.Q(subsidy_returned_fen__gte=0, clawback_fen__gte=0)
                & models.Q(subsidy_returned_fen__lte=models.F("subsidy_fen")
                           - models.F("clawback_fen")),
                name="redemption_returns_bounded"),
        ]
        indexes = [models.Index(fields=["merchant", "created_at"]),
                   models.Index(fields=["state", "created_at"]),
                   models.Index(fields=["sealed", "id"])]

    def __str__(self) -> str:
        return f"核销 #{self.pk}"

    @property
    def subsidy_net_fen(self) -> int:
        return self.subsidy_fen - self.subsidy_returned_fen - self.clawback_fen


class RedemptionLine(models.Model):
    redemption = models.ForeignKey(Redemption, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.ForeignKey("catalog.Kind", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    product = models.ForeignKey("catalog.Product", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    gtin = models.CharField("商品条码", max_length=13, blank=True)
    description = models.CharField("商品", max_length=128)
    quantity = models.PositiveIntegerField("数量")
    unit_price_fen = models.BigIntegerField("单价(分)")
    discount_fen = models.BigIntegerField("优惠(分)")
    final_fen = models.BigIntegerField("成交价(分)")
    eligible = models.BooleanField("参与补贴")
    returned_quantity = models.PositiveIntegerField("已退数量", default=0)

    class Meta:
        ordering = ["redemption", "position"]
        verbose_name = "核销商品"
        verbose_name_plural = "核销商品"
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0, unit_price_fen__gt=0,
                                                      discount_fen__gte=0),
                                   name="line_positive"),
            models.CheckConstraint(
                condition=models.Q(final_fen=models.F("quantity") * models.F("unit_price_fen")
                                   - models.F("discount_fen")) & models.Q(final_fen__gte=0),
                name="line_final_is_price_less_discount"),
            models.CheckConstraint(condition=models.Q(returned_quantity__lte=models.F("quantity")),
                                   name="line_returned_le_quantity"),
        ]

    def __str__(self) -> str:
        return self.description


class GoodsReturn(models.Model):
    """A full or partial return (R-RET-1..2). The voucher stays used (R-USE-5)."""

    redemption = models.ForeignKey(Redemption, on_delete=models.PROTECT, related_name="returns")
    created_at = models.DateTimeField("退货时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    reason = models.CharField("原因", max_length=255)
    items = models.JSONField("退货明细")  # [{"line": id, "quantity": n, "final_fen": x}]
    returned_final_fen = models.BigIntegerField("退货商品成交价(分)")
    subsidy_back_fen = models.BigIntegerField("退回补贴(分)")
    refund_fen = models.BigIntegerField("退还消费者(分)")  # excludes the subsidy (R-RET-1)
    before_settlement = models.BooleanField("结算前")
    by_source = models.JSONField("补贴资金来源", default=dict)
    idempotency_key = models.CharField(max_length=64, blank=True)
    # What was asked (items and reason): the same key with another request is refused (STYLE.md).
    request_hash = models.CharField(max_length=64, blank=True, default="")
    refund_state = models.CharField("退款状态", max_length=8, choices=RefundState.choices,
                                    default=RefundState.NONE)
    refund_reference = models.CharField("退款流水号", max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "退货记录"
        verbose_name_plural = "退货记录"
        constraints = [
            models.UniqueConstraint(fields=["redemption", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""),
                                    name="return_idempotency_once"),
            models.CheckConstraint(condition=models.Q(subsidy_back_fen__gte=0, refund_fen__gte=0)
                                   & models.Q(refund_fen=models.F("returned_final_fen")
                                              - models.F("subsidy_back_fen")),
                                   name="return_refund_excludes_subsidy"),
        ]

    def __str__(self) -> str:
        return f"退货 #{self.pk}"


class AutoRefund(models.Model):
    """A charge that succeeded for a sale already failed or cancelled (the payer's money came
    after the till gave up), paid back to the payer in full by the platform itself. The sale
    stays failed; its reservation was already released (invariant 5)."""

    redemption = models.OneToOneField(Redemption, on_delete=models.PROTECT,
                                      related_name="auto_refund")
    created_at = models.DateTimeField("登记时间")
    amount_fen = models.BigIntegerField("退还顾客(分)")
    charge_reference = models.CharField("原支付流水号", max_length=64, blank=True)
    refund_state = models.CharField("退款状态", max_length=8, choices=RefundState.choices,
                                    default=RefundState.PENDING)
    refund_reference = models.CharField("退款流水号", max_length=64, blank=True)

    class Meta:
        verbose_name = "自动退款"
        verbose_name_plural = "自动退款"
        constraints = [models.CheckConstraint(condition=models.Q(amount_fen__gt=0),
                                              name="auto_refund_positive")]

    def __str__(self) -> str:
        return f"自动退款 #{self.redemption_id}"

    @property
    def key(self) -> str:
        """The refund's idempotency key at the provider: the same on every retry."""
        return f"autorefund-{self.redemption_id}"


class SandboxPayment(models.Model):
    """The sandbox payment provider's own book (stands in for the bank's rails)."""

    key = models.CharField(max_length=96, unique=True)
    kind = models.CharField(max_length=8)  # charge | refund
    amount_fen = models.BigIntegerField()
    state = models.CharField(max_length=12)  # succeeded | failed | pending | cancelled
    failure_code = models.CharField(max_length=32, blank=True)
    message = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=64)
    charge_key = models.CharField(max_length=96, blank=True)  # a refund's charge
    created_at = models.DateTimeField()
    settles_at = models.DateTimeField(null=True, blank=True)  # a pending one succeeds then

    class Meta:
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class ScanGuard(models.Model):
    """Failed payment-code scans of one till user or one merchant in the current minute, and the
    lock they led to (redemptions.scanlock; docs/decisions.md, issue 11). In the database, so
    every worker process and machine counts the same failures."""

    kind = models.CharField(max_length=1)  # "u": a till user, "m": a merchant
    subject_id = models.BigIntegerField()
    window_start = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "subject_id"],
                                               name="scan_guard_once")]

    def __str__(self) -> str:
        return f"{self.kind}{self.subject_id}: {self.failures}"
