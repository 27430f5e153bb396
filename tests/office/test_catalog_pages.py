"""The catalogue page of the back office (R-CAT-1..5): everyone on the staff reads it, the bureau
changes it, and every change is a new numbered version."""

import pytest
from stdnum import ean

from huiquan.catalog.models import CatalogVersion, Kind, Product
from huiquan.core.roles import Role
from tests.merchant_fixtures import AIRCON_GTIN
from tests.office.support import audit_count, field_html

pytestmark = pytest.mark.django_db
HEADER = "商品条码,品牌,型号,品类,能效等级,标识类型"


def _gtin(n: int) -> str:
    body = f"690999{n:06d}"
    return body + ean.calc_check_digit(body)


def _upload(name: str, text: str | bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _latest(campaign) -> int:  # type: ignore[no-untyped-def]
    return CatalogVersion.objects.filter(campaign=campaign).order_by("-number")[0].number


def test_everyone_on_the_staff_reads_the_catalogue(client, campaign, catalog, make_user):
    client.force_login(make_user(Role.REVIEWER))
    response = client.get("/office/catalog/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "第 1 版" in html and AIRCON_GTIN in html and "家用空调" in html
    assert "坐卧类家具（床、沙发）" in html and "参与补贴" in html
    assert "您的角色只能查看" in html and 'name="reason"' not in html
    assert 'href="/office/catalog/"' in html  # the nav link


def test_bureau_imports_a_file_and_sees_the_rejected_row(client, campaign, catalog, bureau):
    client.force_login(bureau)
    good, bad = _gtin(1), "6909990000015"
    assert not ean.is_valid(bad)
    text = f"{HEADER}\n{good},格力,KFR-72LW,家用空调,1,能效\n{bad},美的,BAD-1,电冰箱,1,能效\n"
    response = client.post("/office/catalog/", {"action": "import",
                                                "file": _upload("新增目录.csv", text)},
                           follow=True)
    assert response.redirect_chain == [("/office/catalog/#import", 302)]
    html = response.content.decode()
    assert "导入结果：新增目录.csv" in html and "生成第 2 版" in html
    rejected = html.split("未导入的行（1）")[1].split("</table>")[0]
    assert "第 3 行" in rejected and f"商品条码 {bad} 校验位不正确" in rejected
    assert Product.objects.filter(campaign=campaign, gtin=good).exists()
    assert not Product.objects.filter(campaign=campaign, model="BAD-1").exists()
    assert _latest(campaign) == 2


def test_importing_the_same_file_again_makes_no_version(client, campaign, catalog, bureau):
    client.force_login(bureau)
    text = f"{HEADER}\n{AIRCON_GTIN},海尔,KFR-35GW/B1KBB81U1,家用空调,1,能效\n"
    response = client.post("/office/catalog/", {"action": "import", "file": _upload("a.csv", text)},
                           follow=True)
    assert "没有变化，未生成新版本" in response.content.decode()
    assert _latest(campaign) == 1


def test_a_broken_file_is_a_chinese_error_next_to_the_file(client, campaign, catalog, bureau):
    client.force_login(bureau)
    before = audit_count()
    response = client.post("/office/catalog/", {"action": "import",
                                                "file": _upload("x.xlsx", b"\x00garbage" * 40)})
    assert response.status_code == 422
    assert "内容不是 xlsx 表格" in field_html(response.content.decode(), "file")
    response = client.post("/office/catalog/", {"action": "import",
                                                "file": _upload("a.csv", "品牌,型号\n海尔,X\n")})
    assert response.status_code == 422
    assert "表头缺少列：商品条码、品类、能效等级" in response.content.decode()
    assert audit_count() == before and _latest(campaign) == 1


def test_bureau_delists_a_product_and_a_new_version_appears(client, campaign, catalog, bureau):
    product = Product.objects.get(campaign=campaign, gtin=AIRCON_GTIN)
    client.force_login(bureau)
    response = client.post("/office/catalog/", {"action": "product", "product": product.pk,
                                                "on": "0", "reason": "厂家停产"}, follow=True)
    assert response.redirect_chain == [("/office/catalog/#products", 302)]
    product.refresh_from_db()
    assert not product.listed and product.delist_reason == "厂家停产"
    assert _latest(campaign) == 2
    html = response.content.decode()
    assert "目录第 2 版" in html and "已移出" in html and "厂家停产" in html
    # The same form sent again is refused, not undone.
    again = client.post("/office/catalog/", {"action": "product", "product": product.pk,
                                             "on": "0", "reason": "厂家停产"})
    assert again.status_code == 409 and "该产品已是这个状态" in again.content.decode()
    product.refresh_from_db()
    assert not product.listed and _latest(campaign) == 2


def test_a_switch_without_a_reason_is_refused_on_its_row(client, campaign, catalog, bureau):
    kind = Kind.objects.get(campaign=campaign, name="电冰箱")
    client.force_login(bureau)
    response = client.post("/office/catalog/", {"action": "kind", "kind": kind.pk, "on": "0",
                                                "reason": ""})
    assert response.status_code == 422
    html = response.content.decode()
    row = html.split(f'name="kind" value="{kind.pk}"')[1].split("</details>")[0]
    assert "请填写调整原因" in row
    kind.refresh_from_db()
    assert kind.active and _latest(campaign) == 1


def test_bureau_switches_a_kind_off_and_on(client, campaign, catalog, bureau):
    kind = Kind.objects.get(campaign=campaign, name="电冰箱")
    client.force_login(bureau)
    client.post("/office/catalog/", {"action": "kind", "kind": kind.pk, "on": "0",
                                     "reason": "本期暂停"})
    kind.refresh_from_db()
    assert not kind.active
    client.post("/office/catalog/", {"action": "kind", "kind": kind.pk, "on": "1",
                                     "reason": "恢复"})
    kind.refresh_from_db()
    assert kind.active and _latest(campaign) == 3


def test_a_product_of_no_row_is_a_form_error_not_a_crash(client, campaign, catalog, bureau):
    client.force_login(bureau)
    response = client.post("/office/catalog/", {"action": "product", "product": "999999",
                                                "on": "0", "reason": "x"})
    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode()


def test_the_auditor_sees_the_catalogue_but_cannot_change_it(client, campaign, catalog, auditor):
    product = Product.objects.get(campaign=campaign, gtin=AIRCON_GTIN)
    client.force_login(auditor)
    html = client.get("/office/catalog/").content.decode()
    assert AIRCON_GTIN in html and "您的角色只能查看" in html and 'name="file"' not in html
    response = client.post("/office/catalog/", {"action": "product", "product": product.pk,
                                                "on": "0", "reason": "试试"})
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.listed and _latest(campaign) == 1


def test_the_reviewer_may_not_change_the_catalogue(client, campaign, catalog, reviewer):
    client.force_login(reviewer)
    response = client.post("/office/catalog/", {"action": "import",
                                                "file": _upload("a.csv", HEADER + "\n")})
    assert response.status_code == 403 and "修改商品目录" in response.content.decode()


def test_the_register_can_be_searched(client, campaign, catalog, bureau):
    client.force_login(bureau)
    html = client.get("/office/catalog/", {"q": "格力"}).content.decode()
    products = html.split('id="products"')[1]
    assert "格力" in products and AIRCON_GTIN not in products  # that one is a 海尔


def test_before_any_import_the_page_says_so(client, campaign, bureau):
    client.force_login(bureau)
    html = client.get("/office/catalog/").content.decode()
    assert "还没有导入目录" in html and "目录中还没有产品" in html


def test_an_unknown_action_is_refused_with_a_chinese_page(client, campaign, bureau):
    client.force_login(bureau)
    response = client.post("/office/catalog/", {"action": "drop"})
    assert response.status_code == 422 and "未知的操作" in response.content.decode()


def test_a_change_without_the_csrf_token_is_refused(campaign, catalog, bureau):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(bureau)
    product = Product.objects.get(campaign=campaign, gtin=AIRCON_GTIN)
    response = client.post("/office/catalog/", {"action": "product", "product": product.pk,
                                                "on": "0", "reason": "厂家停产"})
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.listed
