"""The till page's form: its rows of goods, and the rows → the service's line dicts (issue 16).

A row's type is one of the shop's own categories — an appliance category is scanned by its
13-digit barcode, the others are chosen by kind — or 非补贴商品 (paid, not subsidised). The page
starts with one row in the shop's first category; 添加商品 adds one (in the browser, or by a
round trip without JavaScript). Prices are typed in yuan and kept in fen."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from huiquan.core import identifiers
from huiquan.core.errors import DomainError
from huiquan.core.money import MoneyFormatError, parse_yuan
from huiquan.redemptions import pricing
from huiquan.redemptions.errors import RedemptionCode

MAX_ROWS = pricing.MAX_LINES
OTHER = "other"


class LineFormError(DomainError):
    code = RedemptionCode.PRICE_INVALID


@dataclass(frozen=True)
class RowType:
    value: str  # "gtin", "kind:<category code>" or "other"
    label: str
    category: str = ""


@dataclass
class Row:
    n: int
    mode: str
    gtin: str = ""
    kind: str = ""
    desc: str = ""
    qty: str = "1"
    price: str = ""
    disc: str = ""
    goods: pricing.Goods | None = field(default=None)

    @property
    def is_gtin(self) -> bool:
        return self.mode == "gtin"

    @property
    def is_kind(self) -> bool:
        return self.mode.startswith("kind")

    @property
    def category(self) -> str:
        return self.mode.partition(":")[2]


def row_types(kinds: list[Any], categories: list[str]) -> list[RowType]:
    """The shop's categories in the campaign's order, then 非补贴商品."""
    seen: dict[str, RowType] = {}
    for kind in kinds:
        code = kind.category_code
        if code in categories and code not in seen:
            seen[code] = (RowType("gtin", f"{kind.category_name}（扫条码）", code)
                          if kind.requires_gtin else
                          RowType(f"kind:{code}", kind.category_name, code))
    return [*seen.values(), RowType(OTHER, "非补贴商品")]


def _indices(post: Any) -> list[int]:
    return [i for i in range(1, MAX_ROWS + 1) if f"mode_{i}" in post]


def rows_of(post: Any, default_mode: str, *, add: bool = False) -> list[Row]:
    """The rows as posted (renumbered 1…n), or one empty row of the shop's own category;
    ``add``: one more empty row at the end."""
    rows = [Row(n, post.get(f"mode_{i}", default_mode), post.get(f"gtin_{i}", ""),
                post.get(f"kind_{i}", ""), post.get(f"desc_{i}", ""), post.get(f"qty_{i}", "1"),
                post.get(f"price_{i}", ""), post.get(f"disc_{i}", ""))
            for n, i in enumerate(_indices(post), start=1)]
    if not rows or (add and len(rows) < MAX_ROWS):
        rows.append(Row(len(rows) + 1, default_mode))
    return rows


def _money(text: str, what: str, row: int, *, allow_zero: bool = False) -> int:
    text = identifiers.nfkc(text)  # fullwidth ３００ is 300; anything else is the form's error
    try:
        return int(parse_yuan(text or ("0" if allow_zero else ""), allow_zero=allow_zero))
    except MoneyFormatError as exc:
        raise LineFormError(f"第 {row} 行{what}：{exc}") from exc


def parse_lines(post: Any) -> list[dict[str, Any]]:
    """The till form's rows → the service's line dicts (empty rows are skipped)."""
    lines = []
    for row in rows_of(post, "gtin"):
        i = row.n
        gtin, kind, desc = row.gtin.strip(), row.kind.strip(), row.desc.strip()
        price = row.price.strip()
        if not price and not gtin and not desc and not (row.is_kind and kind):
            continue
        quantity = identifiers.whole_number(
            identifiers.nfkc(row.qty) or "1",
            partial(LineFormError, f"第 {i} 行数量必须是正整数"), minimum=1)
        line: dict[str, Any] = {"quantity": quantity, "description": desc,
                                "unit_price_fen": _money(price, "单价", i),
                                "discount_fen": _money(row.disc, "优惠", i, allow_zero=True)}
        if row.mode == OTHER:
            line["other"] = True
        elif row.is_kind:
            line["kind_id"] = kind or None  # pricing reads it as a canonical whole number
        else:
            line["gtin"] = gtin
        lines.append(line)
    return lines
