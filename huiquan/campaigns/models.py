"""A campaign, its funding sources, periods and releases (R-FUND, R-SCHED).

A release's state is never stored as a flag that a scheduler must flip: it is computed from
stored timestamps at the moment of use (invariant 2). What *is* stored are the decisions
(who confirmed which amount, when) and the once-only money transitions (returned_at).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models


class Campaign(models.Model):
    slug = models.SlugField("标识", max_length=64, unique=True)
    name = models.CharField("活动名称", max_length=128)
    title = models.CharField("全称", max_length=255, blank=True)
    owner = models.CharField("主管单位", max_length=128)  # 县工信和科技局
    operator = models.CharField("承办平台", max_length=128)  # 建行隰县支行
    region = models.CharField("地区", max_length=128, blank=True)
    subsidy_rate_percent = models.PositiveSmallIntegerField("补贴比例(%)")
    subsidy_cap_fen = models.BigIntegerField("单次补贴封顶(分)")
    uses_per_person = models.PositiveSmallIntegerField("每人限用张数", default=1)
    expected_subsidy_fen = models.BigIntegerField("每张券预计补贴(分)")  # R-SCHED-7
    config = models.JSONField("活动文件内容", default=dict)  # categories, geofences, merchants…
    source_file = models.CharField("来源文件", max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    loaded_at = models.DateTimeField("载入时间")

    class Meta:
        verbose_name = "活动"
        verbose_name_plural = "活动"
        constraints = [
            models.CheckConstraint(condition=models.Q(subsidy_cap_fen__gt=0), name="cap_pos"),
            models.CheckConstraint(condition=models.Q(expected_subsidy_fen__gt=0),
                                   name="expected_subsidy_pos"),
        ]

    def __str__(self) -> str:
        return self.name


class FundingSource(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT,
                                 related_name="funding_sources")
    code = models.SlugField(max_length=32)
    name = models.CharField("资金来源", max_length=64)
    committed_fen = models.BigIntegerField("承诺金额(分)")
    order = models.PositiveSmallIntegerField(default=0)  # money is drawn in this order

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "资金来源"
        verbose_name_plural = "资金来源"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="source_code_unique"),
            models.CheckConstraint(condition=models.Q(committed_fen__gt=0),
                                   name="source_committed_pos"),
        ]

    def __str__(self) -> str:
        return self.name


class Period(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="periods")
    number = models.PositiveSmallIntegerField("周期")
    name = models.CharField("名称", max_length=64)
    note = models.CharField("说明", max_length=255, blank=True)
    starts_at = models.DateTimeField("开始", null=True, blank=True)  # null: to be defined
    ends_at = models.DateTimeField("结束（不含）", null=True, blank=True)
    ended_early_at = models.DateTimeField("提前结束于", null=True, blank=True)  # R-SCHED-5
    carried_over_at = models.DateTimeField("结转于", null=True, blank=True)  # R-SCHED-6

    class Meta:
        ordering = ["campaign", "number"]
        verbose_name = "周期"
        verbose_name_plural = "周期"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="period_number_unique"),
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True) | models.Q(ends_at__gt=models.F("starts_at")),
                name="period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def effective_end(self) -> datetime | None:
        if self.ended_early_at and (self.ends_at is None or self.ended_early_at < self.ends_at):
            return self.ended_early_at
        return self.ends_at


class Release(models.Model):
    """One weekly batch (发放批次): an amount of money and a number of vouchers."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="releases")
    number = models.PositiveSmallIntegerField("批次")
    opens_at = models.DateTimeField("开抢时间")
    expires_at = models.DateTimeField("券到期（次周周三22:00）")  # R-SCHED-3
    planned_amount_fen = models.BigIntegerField("方案金额(分)", null=True, blank=True)
    # The decision (R-SCHED-4, R-SCHED-7): set once by confirm_release.
    amount_fen = models.BigIntegerField("投放金额(分)", null=True, blank=True)
    voucher_count = models.PositiveIntegerField("券数量", null=True, blank=True)
    remaining_count = models.PositiveIntegerField("剩余券数", default=0)
    proposed_amount_fen = models.BigIntegerField("系统建议金额(分)", null=True, blank=True)
    proposal_basis = models.JSONField("建议依据", null=True, blank=True)
    decision_reason = models.CharField("调整理由", max_length=255, blank=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=255, blank=True)
    returned_at = models.DateTimeField("余额退回时间", null=True, blank=True)  # R-SCHED-6

    class Meta:
        ordering = ["period", "number"]
        verbose_name = "发放批次"
        verbose_name_plural = "发放批次"
        constraints = [
            models.UniqueConstraint(fields=["period", "number"], name="release_number_unique"),
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("opens_at")),
                                   name="release_expires_after_open"),
            models.CheckConstraint(
                condition=models.Q(amount_fen__isnull=True) | models.Q(amount_fen__gt=0),
                name="release_amount_pos",
            ),
            models.CheckConstraint(
                condition=models.Q(voucher_count__isnull=True)
                | models.Q(remaining_count__lte=models.F("voucher_count")),
                name="release_remaining_le_count",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period.name}第{self.number}批"
