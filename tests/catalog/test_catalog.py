"""The appliance register (R-CAT-1, R-CAT-5): GTIN-13, grade 1–2, versioned changes."""

from __future__ import annotations

import pytest

from huiquan.catalog.models import CatalogVersion, Product
from huiquan.catalog.services import PRODUCT_COLUMNS, import_products, set_product_listed
from huiquan.core.errors import DomainError
from huiquan.core.tabular import read_table


def _rows(text: str) -> list:  # type: ignore[type-arg]
    return read_table(name="p.csv", data=text.encode(), columns=PRODUCT_COLUMNS,
                      required=("gtin", "brand", "model", "kind", "grade"))


def test_import_reports_bad_rows_with_reasons(campaign, bureau):  # type: ignore[no-untyped-def]
    report = import_products(campaign=campaign, actor=bureau, rows=_rows(
        "商品条码,品牌,型号,品类,能效等级\n"
        "6900000000014,海尔,A1,家用空调,1\n"
        "6900000000015,海尔,A2,家用空调,1\n"      # bad check digit
        "690000000002,格力,B1,家用空调,1\n"        # 12 digits
        "6900000000021,格力,B2,家用空调,3\n"       # grade 3
        "6900000000038,美的,C1,沙发,1\n"           # not an appliance kind
        "6900000000014,海尔,A1,家用空调,1\n"))     # duplicate
    assert report.added == 1
    reasons = dict(report.rejected)
    assert "校验位" in reasons[3] and "13 位" in reasons[4] and "3 级" in reasons[5]
    assert "品类" in reasons[6] and "重复" in reasons[7]
    assert report.version is not None and report.version.number == 1


def test_importing_the_same_file_twice_makes_no_new_version(catalog, campaign, bureau):  # type: ignore[no-untyped-def]
    from tests.merchant_fixtures import PRODUCTS_CSV

    again = import_products(campaign=campaign, actor=bureau, rows=_rows(PRODUCTS_CSV.read_text()))
    assert again.version is None and again.unchanged == 17
    assert CatalogVersion.objects.count() == 1


def test_only_the_bureau_changes_the_list_and_each_change_is_a_version(catalog, reviewer, bureau):  # type: ignore[no-untyped-def]
    product = Product.objects.get(gtin="6900000000014")
    with pytest.raises(DomainError) as info:
        set_product_listed(product=product, listed=False, reason="x", actor=reviewer)
    assert info.value.code == "FORBIDDEN"
    v = set_product_listed(product=product, listed=False, reason="能效标识撤销", actor=bureau)
    assert v.number == 2
    product.refresh_from_db()
    assert not product.eligible


def test_public_lookup_by_gtin(catalog, client):  # type: ignore[no-untyped-def]
    ok = client.get("/api/v1/catalog/products", {"gtin": "6900000000014"}).json()
    assert ok[0]["eligible"] is True and ok[0]["kind"] == "家用空调"
    assert client.get("/api/v1/catalog/products", {"gtin": "6900000000013"}).json()[
        "code"] == "GTIN_INVALID"
    assert client.get("/api/v1/catalog/products", {"gtin": "4006381333931"}).json() == []
