"""The till's register look-ups come from a per-process memo filed under the catalogue version
(R-CAT-5: the bureau changes the list during the campaign). A change must reach the very next
scan: a delisted model or a switched-off kind is refused at once, never from the memo."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huiquan.catalog import selectors as catalog
from huiquan.catalog.models import Kind, Product
from huiquan.catalog.services import set_kind_active, set_product_listed
from huiquan.redemptions.models import Redemption
from tests.merchant_fixtures import AIRCON_GTIN, aircon, error_code, redeem_at, sofa_line

pytestmark = pytest.mark.django_db


def _register_reads(call) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        call()
    return sum("catalog_product" in q["sql"] or "FROM \"catalog_kind\"" in q["sql"]
               for q in ctx.captured_queries)


def test_a_model_delisted_between_two_sales_is_refused_at_the_next_scan(  # type: ignore[no-untyped-def]
        shop, holder, bureau):
    first, second = holder(), holder()
    redeem_at(shop, first.voucher, [aircon()])  # the memo now holds the air conditioner
    product = Product.objects.get(campaign=shop.campaign, gtin=AIRCON_GTIN)
    set_product_listed(product=product, listed=False, reason="抽检能效不达标", actor=bureau)

    assert error_code(lambda: redeem_at(shop, second.voucher, [aircon()])) == "NOT_ELIGIBLE_GOODS"
    assert Redemption.objects.filter(consumer=second.consumer).count() == 0


def test_a_kind_switched_off_between_two_sales_is_refused_at_the_next_scan(  # type: ignore[no-untyped-def]
        make_merchant, catalog, holder, bureau):
    shop = make_merchant(categories=["furniture"])
    first, second = holder(), holder()
    redeem_at(shop, first.voucher, [sofa_line(shop.campaign)])
    kind = Kind.objects.get(campaign=shop.campaign, name__startswith="坐卧类")
    set_kind_active(kind=kind, active=False, reason="资金调整", actor=bureau)

    assert error_code(lambda: redeem_at(shop, second.voucher,
                                        [sofa_line(shop.campaign)])) == "NOT_ELIGIBLE_GOODS"


def test_the_same_version_is_read_once_per_process(shop, holder):  # type: ignore[no-untyped-def]
    first, second = holder(), holder()
    assert _register_reads(lambda: redeem_at(shop, first.voucher, [aircon()])) == 1
    assert _register_reads(lambda: redeem_at(shop, second.voucher, [aircon()])) == 0
    # A look-up without a version (the till page's preview) always reads.
    assert catalog.product_by_gtin(shop.campaign, AIRCON_GTIN) is not None


def test_a_gtin_not_found_is_not_remembered(shop):  # type: ignore[no-untyped-def]
    assert catalog.product_by_gtin(shop.campaign, "6900000000990", version=1) is None
    assert catalog._memo == {}
