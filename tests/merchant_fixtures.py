"""World-building for merchant, catalogue and till tests: an approved, trained merchant that
went through the real services, the sample appliance register, consumers holding vouchers."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import INSIDE_LINFEN


@dataclass
class Holder:
    user: Any
    consumer: Any
    token: str
    voucher: Any


ROOT = Path(__file__).resolve().parent.parent
PRODUCTS_CSV = ROOT / "campaigns" / "xixian-2024-appliances.csv"
IN_XI_COUNTY = {"lat": 36.6934, "lng": 110.9406, "coord_system": "gcj02"}
AIRCON_GTIN = "6900000000014"  # 海尔 家用空调, grade 1 (sample register)


def licence_png(width: int = 400, height: int = 300) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buf, format="PNG")
    return buf.getvalue()


def valid_uscc(n: int) -> str:
    from stdnum.cn import uscc

    body = f"91141031MA0T{n:05d}"[:17]
    return body + uscc.calc_check_digit(body)


def merchant_user(phone: str) -> Any:
    from huiquan.core.models import User
    from huiquan.core.roles import Role

    return User.objects.create_user(username=f"m{phone}", role=Role.MERCHANT, phone=phone)


def application_data(n: int = 1, **over: Any) -> dict[str, Any]:
    data = {"legal_name": f"隰县测试家电商行{n}", "uscc": valid_uscc(n), "address": "隰县新建路 1 号",
            **IN_XI_COUNTY, "categories": ["appliance", "furniture"], "scale": "individual",
            "bank_name": "中国建设银行隰县支行", "bank_account_name": f"隰县测试家电商行{n}",
            "bank_account": "6217000012345678"}
    data.update(over)
    return data


@pytest.fixture
def catalog(campaign, bureau):  # type: ignore[no-untyped-def]
    from huiquan.catalog.services import PRODUCT_COLUMNS, import_products
    from huiquan.core.tabular import read_path

    rows = read_path(PRODUCTS_CSV, columns=PRODUCT_COLUMNS,
                     required=("gtin", "brand", "model", "kind", "grade"))
    return import_products(campaign=campaign, rows=rows, actor=bureau)


@pytest.fixture
def make_merchant(campaign, reviewer):  # type: ignore[no-untyped-def]
    from huiquan.merchants import services

    counter = {"n": 0}

    def make(*, trained: bool = True, approved: bool = True, **over: Any):  # type: ignore[no-untyped-def]
        counter["n"] += 1
        n = counter["n"]
        user = merchant_user(f"1590000{n:04d}")
        merchant = services.start_application(campaign=campaign, actor=user,
                                              legal_name=f"隰县测试家电商行{n}")
        services.save_application(merchant=merchant, actor=user, data=application_data(n, **over),
                                  licence=("licence.png", licence_png()))
        services.submit_application(merchant=merchant, actor=user)
        if approved:
            services.approve_merchant(merchant=merchant, actor=reviewer)
        if trained:
            services.record_training(merchant=merchant, actor=reviewer, trainee_name="王店长",
                                     mode="offline")
        merchant.refresh_from_db()
        merchant.till_user = user
        return merchant

    return make


@pytest.fixture
def holder(open_release, make_consumer):  # type: ignore[no-untyped-def]
    """A verified consumer holding a voucher of the open release."""
    from huiquan.vouchers.services import claim_voucher

    def make():  # type: ignore[no-untyped-def]
        session = make_consumer()
        voucher = claim_voucher(consumer=session.consumer, release_id=open_release.pk,
                                **INSIDE_LINFEN)
        return Holder(session.user, session.consumer, session.token, voucher)

    return make


def aircon(price_fen: int = 500_000, discount_fen: int = 0, **over: Any) -> dict[str, Any]:
    return {"gtin": AIRCON_GTIN, "quantity": 1, "unit_price_fen": price_fen,
            "discount_fen": discount_fen, **over}


def sofa_line(campaign: Any, price_fen: int = 300_000, discount_fen: int = 0) -> dict[str, Any]:
    from huiquan.catalog.models import Kind

    kind = Kind.objects.get(campaign=campaign, name__startswith="坐卧类")
    return {"kind_id": kind.pk, "description": "布艺沙发", "quantity": 1,
            "unit_price_fen": price_fen, "discount_fen": discount_fen}


def code_of(voucher: Any) -> str:
    from huiquan.vouchers import paycode

    return paycode.current_code(voucher)


def error_code(call: Any) -> str:
    """The stable code of the DomainError that ``call()`` raises (it must raise one)."""
    from huiquan.core.errors import DomainError

    with pytest.raises(DomainError) as info:
        call()
    return info.value.code


def redeem_at(shop: Any, voucher: Any, lines: list[dict[str, Any]], **kw: Any) -> Any:
    """The shop's till scans the voucher's current payment code for these lines."""
    from huiquan.redemptions.services import redeem_voucher

    return redeem_voucher(actor=shop.till_user, payment_code=code_of(voucher), lines=lines, **kw)


@pytest.fixture
def shop(make_merchant, catalog):  # type: ignore[no-untyped-def]
    """An approved, trained merchant selling appliances, with the catalogue loaded."""
    return make_merchant()
