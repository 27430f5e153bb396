from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One link of the append-only, hash-chained audit log (invariant 9).

    ``seq`` is gapless and unique; ``prev_hash`` is the previous entry's ``entry_hash``.
    Rows are never updated or deleted by the product.
    """

    seq = models.BigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name="操作人",
    )
    actor_name = models.CharField("操作人", max_length=150)
    role = models.CharField("角色", max_length=16, blank=True)
    action = models.CharField("动作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, db_index=True)
    object_id = models.CharField("对象", max_length=64, blank=True)
    summary = models.CharField("摘要", max_length=255, blank=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        constraints = [models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_seq_pos")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The chain's head, one row. Writers lock it, so the chain stays linear (invariant 9)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single")]

    def __str__(self) -> str:
        return f"head #{self.seq}"
