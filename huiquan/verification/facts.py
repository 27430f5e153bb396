"""The typed facts of a submission (R-DOC-1), read at the edge: NFKC first, then ASCII only
where the fact is a number or a code; money typed in yuan, kept in fen."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from huiquan.catalog.errors import GtinInvalid
from huiquan.catalog.services import normalise_gtin
from huiquan.core import identifiers
from huiquan.core.money import MoneyFormatError, parse_yuan
from huiquan.verification.errors import FactInvalid

FIELDS = ("phone", "invoice_number", "invoice_date", "invoice_buyer_name", "invoice_amount",
          "payment_amount", "energy_label_gtin")
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_INVOICE_NUMBER = re.compile(r"^[0-9A-Z]{8,20}$")


def buyer_name(text: object) -> str:
    """A name as it is compared: NFKC, no spaces of any kind (发票 prints 张 三 or 张三)."""
    return "".join(identifiers.nfkc(text).split())


def parse(raw: dict[str, Any]) -> dict[str, Any]:
    """The model's field values for what was typed; an empty entry clears the field (a draft
    may be incomplete). Refuses the first entry that cannot be right, naming it."""
    out: dict[str, Any] = {}
    phone = identifiers.compact(raw.get("phone", ""))
    if phone and not (phone.isascii() and _PHONE.fullmatch(phone)):
        raise FactInvalid("phone", "手机号应为 11 位数字（以 1 开头）")
    out["phone"] = phone
    number = identifiers.compact(raw.get("invoice_number", "")).upper()
    if number and not (number.isascii() and _INVOICE_NUMBER.fullmatch(number)):
        raise FactInvalid("invoice_number", "发票号码应为 8–20 位数字或字母（数电票为 20 位数字）")
    out["invoice_number"] = number
    out["invoice_date"] = _date(raw.get("invoice_date", ""))
    name = buyer_name(raw.get("invoice_buyer_name", ""))
    if len(name) > 64:
        raise FactInvalid("invoice_buyer_name", "购买方名称过长（最多 64 个字）")
    out["invoice_buyer_name"] = name
    out["invoice_amount_fen"] = _yuan(raw.get("invoice_amount", ""), "invoice_amount", "发票金额")
    out["payment_amount_fen"] = _yuan(raw.get("payment_amount", ""), "payment_amount",
                                      "付款凭证金额")
    gtin = identifiers.compact(raw.get("energy_label_gtin", ""))
    if gtin:
        try:
            gtin = normalise_gtin(gtin)
        except GtinInvalid as exc:
            raise FactInvalid("energy_label_gtin", f"能效标识国标码：{exc.message}") from exc
    out["energy_label_gtin"] = gtin
    return out


def _date(value: object) -> date | None:
    text = identifiers.compact(value).replace("/", "-").replace(".", "-")
    if not text:
        return None
    try:
        if not text.isascii():
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise FactInvalid("invoice_date", "开票日期格式应为 2024-06-25") from exc


def _yuan(value: object, field: str, what: str) -> int | None:
    text = identifiers.nfkc(value).replace("元", "").replace(",", "").replace("，", "").strip()
    text = text.removeprefix("¥").removeprefix("￥").strip()
    if not text:
        return None
    try:
        return int(parse_yuan(text))
    except MoneyFormatError as exc:
        raise FactInvalid(field, f"{what}：{exc}") from exc
