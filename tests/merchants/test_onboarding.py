"""Merchant onboarding, review, training and the dishonesty list (R-MER-1..5, R-INT-1)."""

from __future__ import annotations

import pytest

from huiquan.core.errors import DomainError
from huiquan.core.tabular import read_table
from huiquan.merchants import services
from huiquan.merchants.models import IntegrityCase, Merchant
from tests.merchant_fixtures import application_data, licence_png, merchant_user, valid_uscc


def _code(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code


@pytest.fixture
def draft(campaign):  # type: ignore[no-untyped-def]
    user = merchant_user("15900009999")
    m = services.start_application(campaign=campaign, actor=user, legal_name="隰县新店")
    m.owner = user
    return m


def test_uscc_with_a_wrong_check_character_is_refused(draft):  # type: ignore[no-untyped-def]
    good = valid_uscc(7)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    assert _code(lambda: services.save_application(merchant=draft, actor=draft.owner,
                                                   data={"uscc": bad})) == "USCC_INVALID"
    assert Merchant.objects.get(pk=draft.pk).uscc == ""


def test_a_map_point_outside_xi_county_is_refused(draft):  # type: ignore[no-untyped-def]
    linfen_city = {"lat": 36.08, "lng": 111.52, "coord_system": "wgs84"}
    assert _code(lambda: services.save_application(merchant=draft, actor=draft.owner,
                                                   data=linfen_city)) == "OUTSIDE_COUNTY"


def test_a_fake_licence_upload_is_refused(draft):  # type: ignore[no-untyped-def]
    assert _code(lambda: services.save_application(
        merchant=draft, actor=draft.owner, data={},
        licence=("licence.png", b"MZ\x90\x00 not an image"))) == "UPLOAD_INVALID"
    huge = b"\x89PNG" + b"0" * (6 * 1024 * 1024)
    assert _code(lambda: services.save_application(merchant=draft, actor=draft.owner, data={},
                                                   licence=("x.png", huge))) == "UPLOAD_TOO_LARGE"


def test_submit_needs_everything_then_checks_run(draft, reviewer):  # type: ignore[no-untyped-def]
    assert _code(lambda: services.submit_application(merchant=draft, actor=draft.owner)
                 ) == "APPLICATION_INCOMPLETE"
    services.save_application(merchant=draft, actor=draft.owner, data=application_data(9),
                              licence=("l.png", licence_png()))
    m = services.submit_application(merchant=draft, actor=draft.owner)
    assert m.state == "submitted"
    assert all(r["ok"] for r in m.checks["results"].values())
    assert _code(lambda: services.reject_merchant(merchant=m, actor=reviewer, reason=" ")
                 ) == "REASON_REQUIRED"
    m = services.approve_merchant(merchant=m, actor=reviewer)
    assert m.state == "approved"


def test_only_a_reviewer_approves(make_merchant, bureau, auditor):  # type: ignore[no-untyped-def]
    m = make_merchant(approved=False, trained=False)
    for actor in (bureau, auditor, m.till_user):
        assert _code(lambda a=actor: services.approve_merchant(merchant=m, actor=a)) == "FORBIDDEN"
    assert Merchant.objects.get(pk=m.pk).state == "submitted"


def _blacklist_rows(uscc: str) -> list:  # type: ignore[type-arg]
    text = f"统一社会信用代码,名称,来源,列入日期\n{uscc},某商行,信用中国,2024-05-01\nBAD,坏行,x,2024-01-01\n"
    return read_table(name="list.csv", data=text.encode("gb18030"),
                      columns=services.BLACKLIST_COLUMNS, required=("uscc", "name", "listed_on"))


def test_blacklist_import_suspends_an_approved_merchant_and_opens_a_case(make_merchant, campaign):  # type: ignore[no-untyped-def]
    from huiquan.core.models import User
    from huiquan.core.roles import Role

    market = User.objects.create_user(username="market1", role=Role.MARKET)
    m = make_merchant()
    applicant = make_merchant(approved=False, trained=False)
    rows = _blacklist_rows(m.uscc) + _blacklist_rows(applicant.uscc)[:1]
    report = services.import_blacklist(rows=rows, actor=market)
    assert report.added == 2 and len(report.rejected) == 1
    m.refresh_from_db()
    assert m.state == "suspended"
    assert IntegrityCase.objects.filter(merchant=m, closed_at__isnull=True).exists()
    applicant.refresh_from_db()
    assert applicant.checks["results"]["blacklist"]["ok"] is False
    reviewer = User.objects.get(role=Role.REVIEWER)
    assert _code(lambda: services.approve_merchant(merchant=applicant, actor=reviewer)
                 ) == "MERCHANT_BLACKLISTED"
    again = services.import_blacklist(rows=_blacklist_rows(m.uscc), actor=market)
    assert again.added == 0 and again.already == 1
    assert IntegrityCase.objects.filter(merchant=m).count() == 1


def test_garbage_spreadsheet_gets_a_clear_error() -> None:
    with pytest.raises(DomainError) as info:
        read_table(name="list.xlsx", data=b"not a zip at all", columns=services.BLACKLIST_COLUMNS,
                   required=("uscc",))
    assert info.value.code == "FILE_INVALID"


def test_demo_merchants_are_approved_trained_and_pass_the_uscc_check(campaign, reviewer):  # type: ignore[no-untyped-def]
    from stdnum.cn import uscc

    from huiquan.merchants.demo import ensure_demo_merchants
    from huiquan.merchants.selectors import till_refusal

    demo = ensure_demo_merchants(campaign)
    assert len(demo) == 7
    for d in demo:
        assert uscc.is_valid(d.uscc)
        assert till_refusal(Merchant.objects.get(uscc=d.uscc)) is None


def test_a_zip_with_broken_xml_named_xlsx_gets_a_clear_error() -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types")
        z.writestr("xl/workbook.xml", "<workbook><sheets><sheet")
    with pytest.raises(DomainError) as info:
        read_table(name="list.xlsx", data=buf.getvalue(), columns=services.BLACKLIST_COLUMNS,
                   required=("uscc",))
    assert info.value.code == "FILE_INVALID"


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width × height pixels (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [20_000, 10_000, 8_000])  # bomb error, bomb warning, our limit
def test_a_licence_declaring_a_huge_image_is_refused_as_upload_invalid(draft, side):  # type: ignore[no-untyped-def]
    """Issue 11 item 3: 20000×20000 raised Pillow's DecompressionBombError (a 500)."""
    assert _code(lambda: services.save_application(
        merchant=draft, actor=draft.owner, data={},
        licence=("licence.png", _png_declaring(side, side)))) == "UPLOAD_INVALID"
    assert not Merchant.objects.get(pk=draft.pk).licence


def test_the_application_page_shows_a_bomb_as_the_licence_fields_error(draft, client):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(draft.owner)
    upload = SimpleUploadedFile("licence.png", _png_declaring(20_000, 20_000), "image/png")
    response = client.post("/merchant/application/", {**application_data(3), "licence": upload})
    assert response.status_code == 400
    assert "像素过大" in response.content.decode()
