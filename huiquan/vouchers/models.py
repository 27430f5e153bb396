"""Vouchers claimed from a release (R-CLAIM-2, R-CLAIM-3, R-SCHED-3; invariant 4)."""

from __future__ import annotations

from django.db import models


class Voucher(models.Model):
    # No index of its own: (consumer, release) and (consumer, campaign) both start with it, and
    # every claim pays for each index it writes (bench/RESULTS.md).
    consumer = models.ForeignKey("consumers.Consumer", on_delete=models.PROTECT,
                                 related_name="vouchers", db_index=False)
    release = models.ForeignKey("campaigns.Release", on_delete=models.PROTECT,
                                related_name="vouchers")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="vouchers")
    claimed_at = models.DateTimeField("领取时间")
    valid_until = models.DateTimeField("有效期至")  # min(release expiry, claimed + 7 days)
    used_at = models.DateTimeField("核销时间", null=True, blank=True)
    paycode_secret = models.CharField(max_length=64)  # seeds the rotating payment code
    # Names the voucher in its payment code without showing the sequential id (vouchers.paycode);
    # random, drawn at claim; the unique index is what a scan looks it up by.
    paycode_handle = models.IntegerField(unique=True)
    sealed = models.BooleanField(default=False)  # included in an audit seal (invariant 9)

    class Meta:
        verbose_name = "消费券"
        verbose_name_plural = "消费券"
        constraints = [
            # Invariant 4: one voucher per person per release, whatever the race.
            models.UniqueConstraint(fields=["consumer", "release"], name="voucher_once_per_release"),
            models.CheckConstraint(condition=models.Q(valid_until__gt=models.F("claimed_at")),
                                   name="voucher_valid_after_claim"),
        ]
        indexes = [models.Index(fields=["consumer", "campaign"]),
                   models.Index(fields=["sealed", "id"])]

    def __str__(self) -> str:
        return f"券 #{self.pk}"


class IdempotentRequest(models.Model):
    """(actor, key) -> the stored answer; a replay gets the same answer (STYLE.md)."""

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    body_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_once")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
