"""Settlement: paying each approved sale to its merchant exactly once (R-SET-1..3, invariant 6),
clawbacks of returns after settlement (R-RET-2) and the campaign's close-out (R-SCHED-6).

A ``SettlementRun`` collects approved, unsettled sales; one ``Payout`` per merchant (the payable
of the run: its sales less the clawbacks netted), one ``SettlementLine`` per sale under a unique
constraint (a sale is in at most one live run). ``BankFile`` is what the bank was sent; the
bank's answer marks each payout paid or failed. ``Receivable`` mirrors a clawback the ledger
holds for a merchant; ``Recovery`` is money recovered on it (netted in a run, or repaid).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RunState(models.TextChoices):
    COLLECTED = "collected", "已汇总，待财务审核"
    APPROVED = "approved", "财务已审核，待出银行文件"
    EXPORTED = "exported", "银行文件已出，待银行回单"
    PAID = "paid", "已全部拨付"
    CANCELLED = "cancelled", "已撤销"


# A run in these states is "running": only one per campaign (a unique constraint).
OPEN_STATES = (RunState.COLLECTED, RunState.APPROVED)


class SettlementRun(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="settlement_runs")
    number = models.PositiveIntegerField("批次号")
    state = models.CharField("状态", max_length=16, choices=RunState.choices,
                             default=RunState.COLLECTED)
    note = models.CharField("说明", max_length=255, blank=True)
    gross_fen = models.BigIntegerField("结算核销补贴(分)", default=0)
    netted_fen = models.BigIntegerField("抵扣追缴(分)", default=0)
    payout_fen = models.BigIntegerField("应拨付(分)", default=0)
    sale_count = models.PositiveIntegerField("笔数", default=0)
    merchant_count = models.PositiveIntegerField("商户数", default=0)
    created_at = models.DateTimeField("汇总时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField("出文件时间", null=True, blank=True)
    closed_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = "结算批次"
        verbose_name_plural = "结算批次"
        constraints = [
            models.UniqueConstraint(fields=["campaign"], condition=models.Q(state__in=OPEN_STATES),
                                    name="settlement_one_open_run"),
            models.UniqueConstraint(fields=["campaign", "number"], name="settlement_run_number"),
            models.CheckConstraint(condition=models.Q(payout_fen=models.F("gross_fen")
                                                      - models.F("netted_fen")),
                                   name="settlement_run_payout_is_net"),
        ]

    def __str__(self) -> str:
        return f"结算第 {self.number} 批"


class PayoutState(models.TextChoices):
    PENDING = "pending", "待出文件"
    SENT = "sent", "已发银行"
    PAID = "paid", "已到账"
    FAILED = "failed", "银行退回，待重发"
    CANCELLED = "cancelled", "已撤销"


class Payout(models.Model):
    """One merchant's payable in a run (应付商户), as the bank will pay it."""

    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="payouts")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT,
                                 related_name="+")
    # The payee as it was when the run was collected: the bank file never changes afterwards.
    legal_name = models.CharField("商户名称", max_length=128)
    uscc = models.CharField("统一社会信用代码", max_length=18)
    bank_name = models.CharField("开户银行", max_length=64)
    bank_account_name = models.CharField("账户名称", max_length=128)
    bank_account = models.CharField("结算账号", max_length=32)
    gross_fen = models.BigIntegerField("核销补贴(分)")
    netted_fen = models.BigIntegerField("抵扣追缴(分)", default=0)
    amount_fen = models.BigIntegerField("拨付金额(分)")
    sale_count = models.PositiveIntegerField("笔数")
    by_source = models.JSONField("资金来源", default=dict)  # funding source id → fen (gross)
    state = models.CharField("状态", max_length=12, choices=PayoutState.choices,
                             default=PayoutState.PENDING)
    bank_reference = models.CharField("银行流水号", max_length=64, blank=True)
    failure_reason = models.CharField("失败原因", max_length=255, blank=True)
    answered_at = models.DateTimeField("回单时间", null=True, blank=True)
    ledger_reference = models.CharField("记账凭证", max_length=64, blank=True)

    class Meta:
        ordering = ["run", "pk"]
        verbose_name = "商户拨付"
        verbose_name_plural = "商户拨付"
        constraints = [
            models.UniqueConstraint(fields=["run", "merchant"], name="payout_once_per_run"),
            models.CheckConstraint(condition=models.Q(amount_fen=models.F("gross_fen")
                                                      - models.F("netted_fen"))
                                   & models.Q(amount_fen__gte=0, netted_fen__gte=0),
                                   name="payout_amount_is_net"),
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} {self.amount_fen}"


class SettlementLine(models.Model):
    """One sale in a run. Invariant 6: a sale is in at most one line that is not cancelled."""

    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="lines")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="lines")
    redemption = models.ForeignKey("redemptions.Redemption", on_delete=models.PROTECT,
                                   related_name="+")
    amount_fen = models.BigIntegerField("补贴(分)")
    by_source = models.JSONField("资金来源", default=dict)  # as booked at the till
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["payout", "pk"]
        verbose_name = "结算明细"
        verbose_name_plural = "结算明细"
        constraints = [
            models.UniqueConstraint(fields=["redemption"], condition=models.Q(cancelled=False),
                                    name="settlement_line_once"),
        ]

    def __str__(self) -> str:
        return f"核销 #{self.redemption_id}: {self.amount_fen}"


class BankFile(models.Model):
    """A payout file as sent to the bank: its lines, total and checksum never change."""

    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="files")
    number = models.PositiveSmallIntegerField("文件序号")  # 1, then re-sends of failed lines
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    payout_ids = models.JSONField(default=list)
    total_fen = models.BigIntegerField("合计(分)")
    checksum = models.CharField("校验码", max_length=64)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="bank_file_number")]

    def __str__(self) -> str:
        return f"{self.run} 文件 {self.number}"


class Receivable(models.Model):
    """A clawback (应收追缴, R-RET-2): a return after settlement; the ledger already holds it in
    the merchant's clawback receivable (booked by the return)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="+")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT,
                                 related_name="+")
    goods_return = models.OneToOneField("redemptions.GoodsReturn", on_delete=models.PROTECT,
                                        related_name="+")
    redemption = models.ForeignKey("redemptions.Redemption", on_delete=models.PROTECT,
                                   related_name="+")
    release_id_at_sale = models.BigIntegerField()  # where recovered money goes (its pool)
    amount_fen = models.BigIntegerField("追缴金额(分)")
    recovered_fen = models.BigIntegerField("已收回(分)", default=0)
    by_source = models.JSONField("资金来源", default=dict)
    booked_at = models.DateTimeField("发生时间")  # the return's time: the age counts from it

    class Meta:
        ordering = ["booked_at", "pk"]
        verbose_name = "追缴应收"
        verbose_name_plural = "追缴应收"
        constraints = [
            models.CheckConstraint(condition=models.Q(recovered_fen__gte=0,
                                                      recovered_fen__lte=models.F("amount_fen")),
                                   name="receivable_recovered_bounded"),
        ]

    def __str__(self) -> str:
        return f"追缴 #{self.pk}"

    @property
    def open_fen(self) -> int:
        return self.amount_fen - self.recovered_fen


class RecoveryKind(models.TextChoices):
    NETTED = "netted", "结算时抵扣"
    REPAID = "repaid", "商户转账退回"


class Recovery(models.Model):
    receivable = models.ForeignKey(Receivable, on_delete=models.PROTECT,
                                   related_name="recoveries")
    kind = models.CharField(max_length=8, choices=RecoveryKind.choices)
    amount_fen = models.BigIntegerField("金额(分)")
    by_source = models.JSONField(default=dict)
    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="recoveries")
    reference = models.CharField("转账流水号", max_length=64, blank=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_fen__gt=0),
                                              name="recovery_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"


class CloseOut(models.Model):
    """The campaign's close-out (清算): unspent money back to each funding source."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    returned_by_source = models.JSONField(default=dict)  # funding source id → fen
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ["-pk"]
        verbose_name = "清算"
        verbose_name_plural = "清算"

    def __str__(self) -> str:
        return f"清算 #{self.pk}"
