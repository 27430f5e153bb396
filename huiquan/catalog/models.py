"""The eligible-goods catalogue of annex 2 (R-CAT-1..5).

Kinds (品类) come from the campaign file; appliances additionally need a product on the approved
register: GTIN-13 (商品条码) and an energy/water efficiency grade (能效/水效等级) of 1 or 2. Every
change the bureau makes is a numbered ``CatalogVersion`` (R-CAT-5), so anyone can see what the
list was on the day of a sale.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CatalogVersion(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="catalog_versions")
    number = models.PositiveIntegerField("版本")
    created_at = models.DateTimeField("发布时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    summary = models.CharField("变更说明", max_length=255)
    changes = models.JSONField("变更明细", default=list)

    class Meta:
        ordering = ["campaign", "-number"]
        verbose_name = "目录版本"
        verbose_name_plural = "目录版本"
        constraints = [models.UniqueConstraint(fields=["campaign", "number"],
                                               name="catalog_version_unique")]

    def __str__(self) -> str:
        return f"目录第 {self.number} 版"


class Kind(models.Model):
    """One kind of goods (e.g. 家用空调) in one category (e.g. 家电类)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="kinds")
    category_code = models.CharField("大类代码", max_length=32)
    category_name = models.CharField("大类", max_length=32)
    name = models.CharField("品类", max_length=64)
    requires_gtin = models.BooleanField("须有商品条码并在目录内", default=False)
    max_grade = models.PositiveSmallIntegerField("能效等级要求（不低于）", null=True, blank=True)
    active = models.BooleanField("参与补贴", default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "order", "pk"]
        verbose_name = "品类"
        verbose_name_plural = "品类"
        constraints = [models.UniqueConstraint(fields=["campaign", "category_code", "name"],
                                               name="kind_unique")]

    def __str__(self) -> str:
        return f"{self.category_name}·{self.name}"


class LabelType(models.TextChoices):
    ENERGY = "energy", "能效"
    WATER = "water", "水效"


class Product(models.Model):
    """An appliance model on the approved register (R-CAT-1)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="products")
    gtin = models.CharField("商品条码（GTIN-13）", max_length=13)
    brand = models.CharField("品牌", max_length=64)
    model = models.CharField("型号", max_length=96)
    kind = models.ForeignKey(Kind, on_delete=models.PROTECT, related_name="products")
    label_type = models.CharField("标识", max_length=8, choices=LabelType.choices,
                                  default=LabelType.ENERGY)
    grade = models.PositiveSmallIntegerField("等级")
    listed = models.BooleanField("在目录内", default=True)
    delist_reason = models.CharField("移出原因", max_length=255, blank=True)
    added_in = models.ForeignKey(CatalogVersion, on_delete=models.PROTECT, related_name="+")
    changed_in = models.ForeignKey(CatalogVersion, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["kind__order", "brand", "model"]
        verbose_name = "目录产品"
        verbose_name_plural = "目录产品"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "gtin"], name="product_gtin_unique"),
            models.CheckConstraint(condition=models.Q(grade__gte=1, grade__lte=5),
                                   name="product_grade_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.model}（{self.gtin}）"

    @property
    def eligible(self) -> bool:
        limit = self.kind.max_grade or 2
        return self.listed and self.kind.active and self.grade <= limit
