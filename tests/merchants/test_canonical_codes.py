"""The shop's side of issue 11, item 1: a USCC, a staff phone and a GTIN typed in other forms
are the same licence, the same account and the same register entry (R-MER-1, R-MER-4, R-CAT-1)."""

from __future__ import annotations

import re

import pytest

from huiquan.catalog.models import Product
from huiquan.catalog.services import PRODUCT_COLUMNS, import_products
from huiquan.consumers import services as accounts
from huiquan.consumers.errors import AuthError
from huiquan.consumers.sms import latest_sandbox_message
from huiquan.core.models import User
from huiquan.core.roles import Role
from huiquan.core.tabular import read_table
from huiquan.merchants import services
from huiquan.merchants.models import Merchant
from tests.merchant_fixtures import AIRCON_GTIN, merchant_user

pytestmark = pytest.mark.django_db
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _blacklist(uscc: str):  # type: ignore[no-untyped-def]
    text = f"统一社会信用代码,名称,来源,列入日期\n{uscc},某商行,信用中国,2024-05-01\n"
    return read_table(name="list.csv", data=text.encode(), columns=services.BLACKLIST_COLUMNS,
                      required=("uscc", "name", "listed_on"))


def test_a_dishonesty_list_line_in_fullwidth_finds_the_shop(make_merchant):  # type: ignore[no-untyped-def]
    market = User.objects.create_user(username="market1", role=Role.MARKET)
    shop = make_merchant()
    typed = fullwidth(shop.uscc[:9].lower()) + " " + shop.uscc[9:]
    report = services.import_blacklist(rows=_blacklist(typed), actor=market)
    assert report.added == 1 and [m.pk for m, _ in report.hits] == [shop.pk]
    assert Merchant.objects.get(pk=shop.pk).state == "suspended"


def test_a_dishonesty_list_line_in_other_digits_is_a_rejected_row(make_merchant):  # type: ignore[no-untyped-def]
    market = User.objects.create_user(username="market1", role=Role.MARKET)
    shop = make_merchant()
    report = services.import_blacklist(rows=_blacklist(shop.uscc.translate(ARABIC_INDIC)),
                                       actor=market)
    assert report.added == 0 and len(report.rejected) == 1 and report.hits == []


def test_an_application_stores_the_canonical_uscc_once(campaign, make_merchant):  # type: ignore[no-untyped-def]
    first = make_merchant()
    owner = merchant_user("15911112222")
    draft = services.start_application(campaign=campaign, actor=owner, legal_name="隰县二号店")
    with pytest.raises(services.StateConflict) as refused:
        services.save_application(merchant=draft, actor=owner,
                                  data={"uscc": fullwidth(first.uscc.lower())})
    assert refused.value.code == "USCC_TAKEN"


def _sign_in(phone: str, typed: str) -> accounts.Session:
    accounts.request_otp(phone=typed, ip=None)
    code = re.search(r"验证码是 (\d{6})", latest_sandbox_message(phone) or "").group(1)  # type: ignore[union-attr]
    return accounts.verify_otp(phone=typed, code=code, role=Role.MERCHANT)


def test_staff_sign_in_with_a_fullwidth_phone_is_the_same_account(make_merchant, clock):  # type: ignore[no-untyped-def]
    shop = make_merchant()
    phone = shop.till_user.phone
    session = _sign_in(phone, fullwidth(phone))
    assert session.user.pk == shop.till_user.pk
    assert User.objects.filter(role=Role.MERCHANT).count() == 1
    clock.advance(minutes=2)
    with pytest.raises(AuthError) as refused:
        accounts.request_otp(phone=phone[:2] + phone[2:].translate(ARABIC_INDIC), ip=None)
    assert refused.value.code == "PHONE_INVALID"


def test_a_new_shop_owner_signing_in_in_fullwidth_gets_a_canonical_contact_phone(campaign):  # type: ignore[no-untyped-def]
    session = _sign_in("15922223333", fullwidth("159 2222 3333"))
    merchant = services.start_application(campaign=campaign, actor=session.user,
                                          legal_name="隰县三号店")
    assert merchant.contact_phone == "15922223333" == session.user.phone


def test_a_gtin_in_fullwidth_is_the_same_register_entry(catalog, campaign, bureau):  # type: ignore[no-untyped-def]
    before = Product.objects.count()
    product = Product.objects.get(gtin=AIRCON_GTIN)
    line = f"{fullwidth(AIRCON_GTIN)},{product.brand},{product.model},{product.kind.name},1\n"
    rows = read_table(name="p.csv", data=("商品条码,品牌,型号,品类,能效等级\n" + line).encode(),
                      columns=PRODUCT_COLUMNS, required=("gtin", "brand", "model", "kind", "grade"))
    report = import_products(campaign=campaign, rows=rows, actor=bureau)
    assert report.added == 0 and report.rejected == []
    assert Product.objects.count() == before


def test_the_office_finds_a_gtin_typed_in_fullwidth_or_groups(client, catalog, bureau):  # type: ignore[no-untyped-def]
    client.force_login(bureau)
    for typed in (fullwidth(AIRCON_GTIN), "690 0000 000014"):
        page = client.get("/office/catalog/", {"q": typed}).content.decode()
        assert AIRCON_GTIN in page, typed
