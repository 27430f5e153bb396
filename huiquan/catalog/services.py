"""Changing the catalogue (R-CAT-1..5). Every change is one numbered version, audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from stdnum import ean

from huiquan.audit.services import record
from huiquan.campaigns.services import LoadResult, load_campaign
from huiquan.catalog.errors import CatalogCode, CatalogError, GtinInvalid
from huiquan.catalog.models import CatalogVersion, Kind, LabelType, Product
from huiquan.core import clock, identifiers
from huiquan.core.roles import Role, require_role
from huiquan.core.tabular import Row

CATALOG_ROLES = (Role.BUREAU,)  # R-CAT-5: the bureau changes the list

PRODUCT_COLUMNS = {
    "gtin": ("商品条码", "GTIN", "gtin", "条码", "EAN"),
    "brand": ("品牌", "brand"),
    "model": ("型号", "model"),
    "kind": ("品类", "kind"),
    "grade": ("能效等级", "grade", "等级", "水效等级"),
    "label": ("标识类型", "label"),
}


def normalise_gtin(text: object) -> str:
    """Exactly 13 ASCII digits with a valid EAN-13 check digit (GB 12904), or GtinInvalid.
    Canonical first (fullwidth digits read as digits, separators dropped; other scripts'
    digits refused), so one product is one register entry."""
    value = identifiers.compact(text)
    if len(value) != 13 or not identifiers.is_ascii_digits(value):
        raise GtinInvalid(f"商品条码应为 13 位数字（收到「{value[:20]}」）")
    if not ean.is_valid(value):
        raise GtinInvalid(f"商品条码 {value} 校验位不正确，请核对后重新扫描或输入")
    return value


def sync_kinds(*, campaign: Any) -> int:
    """Create the kinds of the campaign file's categories (annex 2) that are not there yet.
    Kinds the bureau has switched off stay off. Returns how many were created."""
    created = 0
    order = 0
    for category in campaign.config.get("categories", []):
        for name in category["kinds"]:
            order += 1
            _, made = Kind.objects.get_or_create(
                campaign=campaign, category_code=category["code"], name=name,
                defaults={"category_name": category["name"], "order": order,
                          "requires_gtin": bool(category.get("requires_gtin13")),
                          "max_grade": category.get("min_efficiency_grade")},
            )
            created += made
    return created


def load_campaign_file(*, path: Path, actor: Any = None) -> LoadResult:
    """Load a campaign file (campaigns.services.load_campaign) and, in the same transaction,
    make the catalogue kinds of its categories (annex 2): the one way to load a campaign."""
    def kinds(campaign: Any) -> list[str]:
        made = sync_kinds(campaign=campaign)
        return [f"商品目录新增 {made} 个品类"] if made else []

    return load_campaign(path=path, actor=actor, also=kinds)


def _new_version(campaign: Any, actor: Any, summary: str, changes: list[dict[str, Any]]
                 ) -> CatalogVersion:
    number = (CatalogVersion.objects.filter(campaign=campaign).aggregate(n=Max("number"))["n"]
              or 0) + 1
    version = CatalogVersion.objects.create(
        campaign=campaign, number=number, created_at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None, summary=summary[:255],
        changes=changes)
    record(actor=actor, action="catalog.version", obj_type="catalog_version", obj_id=version.pk,
           summary=f"目录第 {number} 版：{summary}", after={"changes": changes[:200]})
    return version


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    version: CatalogVersion | None = None


def _parse_product(row: Row, kinds: dict[str, Kind]) -> dict[str, Any]:
    v = row.values
    gtin = normalise_gtin(v.get("gtin"))
    brand, model = v.get("brand", ""), v.get("model", "")
    if not brand or not model:
        raise CatalogError("品牌和型号不能为空")
    if len(brand) > 64 or len(model) > 96:
        raise CatalogError("品牌或型号过长")
    kind = kinds.get(v.get("kind", ""))
    if kind is None:
        raise CatalogError(f"品类「{v.get('kind', '')}」不是需要目录的家电品类（附件2）")
    grade_text = identifiers.nfkc(v.get("grade", "")).removesuffix("级").strip()
    if grade_text not in {"1", "2", "3", "4", "5"}:
        raise CatalogError(f"能效等级应为 1–5（收到「{v.get('grade', '')}」）")
    grade = int(grade_text)
    if grade > (kind.max_grade or 2):
        raise CatalogError(f"能效等级 {grade} 级：只有 1–{kind.max_grade or 2} 级产品可享受补贴（R-CAT-1）")
    label_text = v.get("label", "") or "能效"
    label = {"能效": LabelType.ENERGY, "energy": LabelType.ENERGY, "水效": LabelType.WATER,
             "water": LabelType.WATER}.get(label_text)
    if label is None:
        raise CatalogError(f"标识类型应为「能效」或「水效」（收到「{label_text}」）")
    return {"gtin": gtin, "brand": brand, "model": model, "kind": kind, "grade": grade,
            "label_type": label}


@transaction.atomic(durable=True)
def import_products(*, campaign: Any, rows: list[Row], actor: Any, source: str = ""
                    ) -> ImportReport:
    """Add or update register entries from a spreadsheet; rows that fail are reported with
    their reason and change nothing. One version for the whole import (when anything changed)."""
    require_role(actor, CATALOG_ROLES, action="修改商品目录")
    kinds = {k.name: k for k in Kind.objects.filter(campaign=campaign, requires_gtin=True)}
    report = ImportReport()
    parsed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row in rows:
        try:
            item = _parse_product(row, kinds)
        except CatalogError as exc:
            report.rejected.append((row.number, exc.message))
            continue
        if item["gtin"] in seen:
            report.rejected.append((row.number, f"商品条码与第 {seen[item['gtin']]} 行重复"))
            continue
        seen[item["gtin"]] = row.number
        parsed.append(item)
    existing = {p.gtin: p for p in Product.objects.filter(campaign=campaign,
                                                           gtin__in=list(seen))}
    changes: list[dict[str, Any]] = []
    for item in parsed:
        product = existing.get(item["gtin"])
        if product is None:
            changes.append({"op": "add", "gtin": item["gtin"], "model": item["model"]})
            report.added += 1
        elif (product.brand, product.model, product.kind_id, product.grade, product.label_type,
              product.listed) != (item["brand"], item["model"], item["kind"].pk, item["grade"],
                                  item["label_type"], True):
            changes.append({"op": "update", "gtin": item["gtin"], "model": item["model"]})
            report.updated += 1
        else:
            report.unchanged += 1
    if not changes:
        return report
    version = _new_version(campaign, actor, f"导入{source or '目录文件'}：新增 {report.added}，"
                           f"更新 {report.updated}", changes)
    for item in parsed:
        product = existing.get(item["gtin"])
        if product is None:
            Product.objects.create(campaign=campaign, added_in=version, changed_in=version, **item)
        else:
            for key, value in item.items():
                setattr(product, key, value)
            product.listed, product.delist_reason, product.changed_in = True, "", version
            product.save()
    report.version = version
    return report


@transaction.atomic(durable=True)
def set_product_listed(*, product: Product, listed: bool, reason: str, actor: Any
                       ) -> CatalogVersion:
    """Take a model off the register (or put it back), with a reason (R-CAT-5)."""
    require_role(actor, CATALOG_ROLES, action="修改商品目录")
    reason = (reason or "").strip()
    if not reason:
        raise CatalogError("请填写调整原因")
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.listed == listed:
        raise CatalogError("该产品已是这个状态", code=CatalogCode.CATALOG_UNCHANGED, status=409)
    op = "relist" if listed else "delist"
    version = _new_version(product.campaign, actor,
                           f"{'恢复' if listed else '移出'} {product}：{reason}",
                           [{"op": op, "gtin": product.gtin, "reason": reason}])
    product.listed, product.delist_reason, product.changed_in = listed, "" if listed else reason, \
        version
    product.save(update_fields=["listed", "delist_reason", "changed_in"])
    return version


@transaction.atomic(durable=True)
def set_kind_active(*, kind: Kind, active: bool, reason: str, actor: Any) -> CatalogVersion:
    """Switch a kind of goods on or off for the subsidy (R-CAT-5)."""
    require_role(actor, CATALOG_ROLES, action="修改商品目录")
    reason = (reason or "").strip()
    if not reason:
        raise CatalogError("请填写调整原因")
    kind = Kind.objects.select_for_update().get(pk=kind.pk)
    if kind.active == active:
        raise CatalogError("该品类已是这个状态", code=CatalogCode.CATALOG_UNCHANGED, status=409)
    version = _new_version(kind.campaign, actor,
                           f"{'恢复' if active else '暂停'}品类 {kind}：{reason}",
                           [{"op": "kind_on" if active else "kind_off", "kind": str(kind),
                             "reason": reason}])
    kind.active = active
    kind.save(update_fields=["active"])
    return version
