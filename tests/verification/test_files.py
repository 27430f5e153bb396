"""What a document is, read from its bytes (verification/files.py): images, PDFs, OFDs."""

from __future__ import annotations

import io
import zipfile

import pytest

from huiquan.core.errors import DomainError
from huiquan.verification.files import MAX_BYTES, check_upload
from tests.verification.factories import photo, plain_pdf

IMAGE = frozenset({"image"})
ANY = frozenset({"image", "pdf", "ofd"})
OFD_XML = (b'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"'
           b' Version="1.0"><ofd:DocBody/></ofd:OFD>')


def _code(data: bytes, allowed: frozenset[str] = ANY) -> str:
    with pytest.raises(DomainError) as info:
        check_upload(data, allowed=allowed)
    return str(info.value.code)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_photo_is_re_encoded_and_a_renamed_script_is_not_a_photo():
    checked = check_upload(photo(1), allowed=IMAGE)
    assert checked.is_image and checked.content_type == "image/jpeg"
    assert _code(b"MZ\x90\x00 this is a program", IMAGE) == "DOCUMENT_INVALID"
    assert _code(b"<html><script>alert(1)</script></html>", IMAGE) == "DOCUMENT_INVALID"


def test_bytes_after_the_image_are_dropped():
    checked = check_upload(photo(2) + b"<?php system($_GET['c']); ?>", allowed=IMAGE)
    assert b"<?php" not in checked.data


def test_a_file_over_the_limit_is_refused_unread():
    assert _code(b"\xff" * (MAX_BYTES + 1)) == "DOCUMENT_TOO_LARGE"


def test_a_pdf_is_accepted_only_where_the_item_takes_one():
    assert check_upload(plain_pdf(), allowed=ANY).content_type == "application/pdf"
    assert _code(plain_pdf(), IMAGE) == "DOCUMENT_INVALID"


@pytest.mark.parametrize("extra", [
    "/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ",
    "/Names << /JavaScript << /Names [(x) << /S /JavaScript /JS (1) >>] >> >> ",
    "/AA << /O << /S /Launch /F (cmd.exe) >> >> ",
])
def test_a_pdf_that_acts_by_itself_is_refused(extra):
    assert _code(plain_pdf(extra)) == "DOCUMENT_UNSAFE"


def test_a_broken_pdf_is_refused_clearly():
    assert _code(b"%PDF-1.4\n garbage") == "DOCUMENT_INVALID"


def test_an_ofd_is_accepted_and_a_zip_of_something_else_is_not():
    assert check_upload(_zip({"OFD.xml": OFD_XML, "Doc_0/Document.xml": b"<a/>"}),
                        allowed=ANY).content_type == "application/ofd"
    assert _code(_zip({"readme.txt": b"hello"})) == "DOCUMENT_INVALID"


def test_an_ofd_with_an_entity_bomb_or_a_zip_bomb_is_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><ofd:OFD xmlns:ofd="x">&b;</ofd:OFD>')
    assert _code(_zip({"OFD.xml": bomb})) == "DOCUMENT_INVALID"
    assert _code(_zip({"OFD.xml": OFD_XML, "Res/zeros.bin": b"\0" * 20_000_000})) == \
        "DOCUMENT_UNSAFE"
