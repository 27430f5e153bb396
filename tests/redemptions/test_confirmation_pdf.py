"""The confirmation form wraps long shop names and model numbers instead of cutting them
(issue 16, item 1; R-DOC-1)."""

from __future__ import annotations

import re

import pypdfium2
import pytest

from huiquan.merchants.models import Merchant
from huiquan.redemptions.pdf import confirmation_form
from tests.merchant_fixtures import redeem_at, sofa_line

LONG_NAME = "隰县龙泉镇新建路跃进家具家电家纺家装建材综合经营有限责任公司第二分店（城南店）"
LONG_MODEL = "北欧实木真皮三人位电动功能沙发 型号 SF-9988/X(PRO-MAX)-2024-CN-LQ-0001-超长款"


def _text(pdf: bytes) -> str:
    doc = pypdfium2.PdfDocument(pdf)
    return "".join(page.get_textpage().get_text_range() for page in doc)


@pytest.mark.django_db
def test_long_names_and_models_are_printed_whole(make_merchant, catalog, holder):  # type: ignore[no-untyped-def]
    shop = make_merchant(categories=["furniture"])
    Merchant.objects.filter(pk=shop.pk).update(legal_name=LONG_NAME)
    line = {**sofa_line(shop.campaign), "description": LONG_MODEL}
    sale = redeem_at(shop, holder().voucher, [line])
    raw = _text(confirmation_form(sale))
    # wrapped inside its cell, not run over the border: no one line holds the whole name
    assert not any(LONG_NAME in line for line in raw.splitlines())
    text = re.sub(r"\s+", "", raw)
    assert re.sub(r"\s+", "", LONG_NAME) in text
    assert re.sub(r"\s+", "", LONG_MODEL) in text
    assert "300.00" in text and "隰县家居消费补贴确认书" in text
