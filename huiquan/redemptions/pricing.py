"""What the till computes: each line's final price, the eligible total and the subsidy (R-USE-2).

subsidy = min(eligible_final_price × rate ÷ 100 (rounded down), cap); with the plan's 10% and
2,000 yuan: ``min(eligible_final_price // 10, 200_000)`` fen. Only eligible goods count.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import partial
from typing import Any

from huiquan.catalog import selectors as catalog
from huiquan.catalog.errors import GtinInvalid, NotEligibleGoods
from huiquan.catalog.models import Kind, Product
from huiquan.catalog.services import normalise_gtin
from huiquan.core import identifiers
from huiquan.core.money import format_yuan
from huiquan.redemptions.errors import NoKind, PriceInvalid, RedemptionCode

MAX_LINES = 50
MAX_QUANTITY = 999
MAX_UNIT_PRICE_FEN = 100_000_000  # 1,000,000 yuan for one item


def subsidy_for(eligible_final_fen: int, *, rate_percent: int, cap_fen: int) -> int:
    """R-USE-2, in integer fen, rounded down, never above the cap."""
    if eligible_final_fen <= 0:
        return 0
    return min(eligible_final_fen * rate_percent // 100, cap_fen)


@dataclass(frozen=True)
class PricedLine:
    position: int
    kind: Kind | None
    product: Product | None
    gtin: str
    description: str
    quantity: int
    unit_price_fen: int
    discount_fen: int
    eligible: bool

    @property
    def list_fen(self) -> int:
        return self.quantity * self.unit_price_fen

    @property
    def final_fen(self) -> int:
        return self.list_fen - self.discount_fen

    @property
    def category_name(self) -> str:
        return self.kind.category_name if self.kind is not None else ""

    @property
    def kind_name(self) -> str:
        return self.kind.name if self.kind is not None else ""


@dataclass(frozen=True)
class Quote:
    lines: list[PricedLine]
    total_final_fen: int
    eligible_final_fen: int
    subsidy_fen: int

    @property
    def consumer_pays_fen(self) -> int:
        return self.total_final_fen - self.subsidy_fen

    @property
    def quote_id(self) -> str:
        """The quote's fingerprint: every figure the cashier and the customer were shown (the
        goods, their prices, what counts, the subsidy). The till sends it back with the payment
        code; a sale whose goods or prices came out differently is refused with QUOTE_CHANGED
        (issue 16). A new catalogue version that changes none of them keeps the same id."""
        shown = [[p.gtin, p.kind.pk if p.kind else None, p.product.grade if p.product else None,
                  p.description, p.quantity, p.unit_price_fen, p.discount_fen, p.eligible]
                 for p in self.lines]
        text = json.dumps([shown, self.total_final_fen, self.eligible_final_fen,
                           self.subsidy_fen], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _int(value: Any, what: str, position: int) -> int:
    if isinstance(value, bool):
        raise PriceInvalid(f"第 {position} 行：{what}格式不正确")
    if isinstance(value, int):
        return value
    if isinstance(value, str):  # canonical first: "²" passes str.isdigit() but not int()
        text = identifiers.nfkc(value)
        sign = -1 if text.startswith("-") else 1
        return sign * identifiers.whole_number(
            text.removeprefix("-"),
            lambda: PriceInvalid(f"第 {position} 行：{what}必须是整数（分）"))
    raise PriceInvalid(f"第 {position} 行：{what}必须是整数（分）")


def _line(campaign: Any, merchant: Any, raw: dict[str, Any], position: int,
          version: int | None) -> PricedLine:
    quantity = _int(raw.get("quantity", 1), "数量", position)
    unit = _int(raw.get("unit_price_fen"), "单价", position)
    discount = _int(raw.get("discount_fen", 0) or 0, "优惠", position)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise PriceInvalid(f"第 {position} 行：数量应在 1–{MAX_QUANTITY} 之间")
    if unit <= 0:
        raise PriceInvalid(f"第 {position} 行：单价必须大于 0")
    if unit > MAX_UNIT_PRICE_FEN:
        raise PriceInvalid(f"第 {position} 行：单价超过 {format_yuan(MAX_UNIT_PRICE_FEN)} 元，请核对")
    if discount < 0:
        raise PriceInvalid(f"第 {position} 行：优惠金额不能为负数", code=RedemptionCode.DISCOUNT_INVALID)
    if discount > quantity * unit:
        raise PriceInvalid(f"第 {position} 行：优惠 {format_yuan(discount)} 元大于商品价格 "
                           f"{format_yuan(quantity * unit)} 元", code=RedemptionCode.DISCOUNT_INVALID)
    description = " ".join(str(raw.get("description") or "").split())[:128]
    gtin_text = identifiers.compact(raw.get("gtin"))
    if gtin_text and not identifiers.is_ascii_digits(gtin_text):
        raise GtinInvalid(f"第 {position} 行：商品条码只能是 13 位数字")
    if raw.get("other"):
        if not description:
            raise PriceInvalid(f"第 {position} 行：请填写非补贴商品的名称", code=RedemptionCode.LINE_INVALID)
        return PricedLine(position, None, None, "", description, quantity, unit, discount, False)
    product: Product | None = None
    kind: Kind | None
    if gtin_text:
        gtin = normalise_gtin(gtin_text)
        product = catalog.product_by_gtin(campaign, gtin, version=version)
        if product is None:
            raise NotEligibleGoods(f"第 {position} 行：商品条码 {gtin} 不在补贴产品目录中"
                                   "（目录只收录能效/水效 1–2 级的家电）")
        if not product.eligible:
            raise NotEligibleGoods(f"第 {position} 行：{product} 不可享受补贴（{_why_not(product)}）")
        kind = product.kind
        description = description or f"{product.kind.name} {product.brand} {product.model}"
    else:
        gtin = ""
        kind_id = raw.get("kind_id")
        try:
            kind_pk: int | None = identifiers.whole_number(kind_id, partial(NoKind, ""), minimum=1)
        except NoKind:
            kind_pk = None
        kind = catalog.kind_by_id(campaign, kind_pk, version=version) if kind_pk else None
        if kind is None:
            raise NotEligibleGoods(f"第 {position} 行：请选择商品品类，或扫描家电的商品条码")
        if kind.requires_gtin:
            raise NotEligibleGoods(f"第 {position} 行：{kind.name}属于家电，须扫描或输入 13 位商品条码",
                                   code=RedemptionCode.GTIN_REQUIRED)
        if not kind.active:
            raise NotEligibleGoods(f"第 {position} 行：品类「{kind.name}」已暂停补贴")
        description = description or kind.name
    if kind.category_code not in (merchant.categories or []):
        raise NotEligibleGoods(f"第 {position} 行：本店未登记经营「{kind.category_name}」，"
                               "该商品不能在本店享受补贴")
    return PricedLine(position, kind, product, gtin, description, quantity, unit, discount, True)


def quote(*, campaign: Any, merchant: Any, lines: list[dict[str, Any]],
          catalog_version: int | None = None) -> Quote:
    """Check every line and compute the subsidy; raises a coded error on the first bad line.
    ``catalog_version``: the newest catalogue version's number, read just now with the till
    (the register's entries may then come from catalog.selectors' memo)."""
    if not isinstance(lines, list) or not lines:
        raise PriceInvalid("请至少录入一件商品", code=RedemptionCode.LINES_REQUIRED)
    if len(lines) > MAX_LINES:
        raise PriceInvalid(f"一次最多录入 {MAX_LINES} 件商品", code=RedemptionCode.LINE_INVALID)
    priced = [_line(campaign, merchant, raw if isinstance(raw, dict) else {}, i, catalog_version)
              for i, raw in enumerate(lines, start=1)]
    eligible = sum(p.final_fen for p in priced if p.eligible)
    total = sum(p.final_fen for p in priced)
    subsidy = subsidy_for(eligible, rate_percent=campaign.subsidy_rate_percent,
                          cap_fen=campaign.subsidy_cap_fen)
    if eligible <= 0:
        raise NotEligibleGoods("没有可享受补贴的商品：补贴只按附件2所列商品的成交价计算")
    if subsidy <= 0:
        raise NotEligibleGoods("补贴商品成交价过低，补贴为 0 元，不宜使用消费券",
                               code=RedemptionCode.SUBSIDY_ZERO)
    return Quote(priced, total, eligible, subsidy)


@dataclass(frozen=True)
class Goods:
    """What the till shows the moment a goods barcode is scanned, before any quote (issue 16):
    the register's brand, model, kind and grade, or why the code gives no subsidy here."""

    gtin: str
    found: bool
    eligible: bool
    message: str
    brand: str = ""
    model: str = ""
    category: str = ""
    kind: str = ""
    label: str = ""  # 能效 / 水效
    grade: int | None = None


def _why_not(product: Product) -> str:
    if product.grade > (product.kind.max_grade or 2):
        return f"{product.get_label_type_display()}等级 {product.grade} 级，不在补贴范围"
    return product.delist_reason or "已移出目录"


def look_up(*, campaign: Any, merchant: Any, gtin: object,
            catalog_version: int | None = None) -> Goods:
    """The register's entry for a scanned goods barcode, judged for this shop; never raises
    for a bad code (the answer says what is wrong with it)."""
    try:
        code = normalise_gtin(gtin)
    except GtinInvalid as exc:
        return Goods(identifiers.compact(gtin)[:20], False, False, exc.message)
    product = catalog.product_by_gtin(campaign, code, version=catalog_version)
    if product is None:
        return Goods(code, False, False,
                     "不在目录中：补贴产品目录只收录能效/水效 1–2 级的家电，该商品不能享受补贴")
    kind = product.kind
    eligible, message = product.eligible, "在目录中，可享受补贴"
    if not eligible:
        message = f"不可享受补贴：{_why_not(product)}"
    elif kind.category_code not in (merchant.categories or []):
        eligible, message = False, f"本店未登记经营「{kind.category_name}」，不能在本店享受补贴"
    return Goods(code, True, eligible, message, product.brand, product.model, kind.category_name,
                 kind.name, product.get_label_type_display(), product.grade)
