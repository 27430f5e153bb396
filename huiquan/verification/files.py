"""What an uploaded claim document really is, read from its bytes, never from its name
(R-DOC-1, invariant 7).

- Images (JPEG, PNG, WebP): decoded by Pillow (``verify`` and a full load), at most
  ``MAX_PIXELS`` (a small file declaring a huge canvas — a decompression bomb — is refused before
  it is decoded), turned upright and re-encoded, which drops EXIF (GPS, camera serials) and any
  bytes hidden after the image.
- PDF: opened by pypdf, at most ``MAX_PDF_PAGES`` pages, not encrypted, and refused when any
  object carries JavaScript, an open action, a launch, an embedded file or a form submission.
- OFD (the national e-invoice format, GB/T 33190): a zip with ``OFD.xml`` at its root, parsed
  with defusedxml (no entities, no DTD), within limits of entries and unpacked size.

Anything else — a script named ``.jpg``, a zip of something else, an HTML page — is refused
with a message saying what the file is not.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
import zlib
from dataclasses import dataclass

from huiquan.verification.errors import VerificationCode, refused

MAX_BYTES = 10 * 1024 * 1024  # one document
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is more than any phone takes
MIN_SIDE = 100
MAX_SIDE_STORED = 4000  # larger photos are scaled down when re-encoded
MAX_PDF_PAGES = 20
MAX_PDF_OBJECTS = 20_000
MAX_OFD_ENTRIES = 500
MAX_OFD_UNPACKED = 50 * 1024 * 1024
MAX_OFD_RATIO = 100  # a member that unpacks to 100× its packed size is a zip bomb

IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"),
                 "WEBP": ("webp", "image/webp")}
# Names in a PDF that make it do something by itself: scripts, actions on opening or on events,
# launching programs, embedded files, submitting forms, rich media.
PDF_ACTIVE_NAMES = frozenset({"/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch",
                              "/EmbeddedFile", "/EmbeddedFiles", "/SubmitForm", "/ImportData",
                              "/RichMedia", "/XFA", "/GoToE", "/GoToR"})


@dataclass(frozen=True)
class CheckedFile:
    data: bytes  # what is stored: the re-encoded image, or the PDF/OFD as sent
    extension: str
    content_type: str
    sha256: str
    is_image: bool


def check_upload(data: bytes, *, allowed: frozenset[str]) -> CheckedFile:
    """The file as it will be stored, or a refusal. ``allowed``: a subset of
    {"image", "pdf", "ofd"} (what the document's kind accepts)."""
    if len(data) > MAX_BYTES:
        raise refused(VerificationCode.DOCUMENT_TOO_LARGE,
                      f"文件过大：每个文件最多 {MAX_BYTES // (1024 * 1024)} MB")
    if not data:
        raise refused(VerificationCode.DOCUMENT_INVALID, "文件是空的")
    if data.startswith(b"%PDF-"):
        if "pdf" not in allowed:
            raise refused(VerificationCode.DOCUMENT_INVALID, f"这一项只接受{_names(allowed)}")
        return _pdf(data)
    if data.startswith(b"PK\x03\x04"):
        if "ofd" not in allowed:
            raise refused(VerificationCode.DOCUMENT_INVALID, f"这一项只接受{_names(allowed)}")
        return _ofd(data)
    if "image" not in allowed:
        raise refused(VerificationCode.DOCUMENT_INVALID, f"这一项只接受{_names(allowed)}")
    return _image(data, allowed)


def _names(allowed: frozenset[str]) -> str:
    names = {"image": "照片（JPG/PNG）", "pdf": "PDF", "ofd": "OFD 电子发票"}
    return "、".join(names[k] for k in ("image", "pdf", "ofd") if k in allowed)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _not_what_it_claims(allowed: frozenset[str]) -> Exception:
    return refused(VerificationCode.DOCUMENT_INVALID,
                   f"文件内容不是有效的{_names(allowed)}：请直接用手机拍照或选择原始文件上传"
                   "（改了扩展名的文件会被拒收）")


def _image(data: bytes, allowed: frozenset[str]) -> CheckedFile:
    from PIL import Image, ImageOps, UnidentifiedImageError

    too_many = refused(VerificationCode.DOCUMENT_INVALID,
                       f"图片像素过大（最多 {MAX_PIXELS // 1_000_000:,} 百万像素）：请缩小后重新上传")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if probe.width * probe.height > MAX_PIXELS:
                    raise too_many  # before a single pixel is decoded
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _not_what_it_claims(allowed) from exc
    if kind not in IMAGE_FORMATS:
        raise refused(VerificationCode.DOCUMENT_INVALID, "照片只接受 JPG、PNG 或 WebP 格式")
    if min(upright.size) < MIN_SIDE:
        raise refused(VerificationCode.DOCUMENT_INVALID,
                      f"照片太小（至少 {MIN_SIDE}×{MIN_SIDE} 像素），看不清内容")
    if max(upright.size) > MAX_SIDE_STORED:
        upright.thumbnail((MAX_SIDE_STORED, MAX_SIDE_STORED))
    out = io.BytesIO()
    if kind == "PNG":
        clean = upright if upright.mode in ("RGB", "RGBA", "L", "LA") else upright.convert("RGBA")
        clean.save(out, format="PNG", optimize=True)  # no text chunks, no EXIF
        extension, content_type = "png", "image/png"
    else:
        upright.convert("RGB").save(out, format="JPEG", quality=88)  # no EXIF, no comments
        extension, content_type = "jpg", "image/jpeg"
    stored = out.getvalue()
    return CheckedFile(stored, extension, content_type, _digest(stored), True)


def _pdf(data: bytes) -> CheckedFile:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    invalid = refused(VerificationCode.DOCUMENT_INVALID, "PDF 文件已损坏或无法打开：请重新导出后上传")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise refused(VerificationCode.DOCUMENT_INVALID, "PDF 文件有密码保护：请上传未加密的文件")
        pages = len(reader.pages)
        active = _active_names(reader)
    except RecursionError as exc:
        raise invalid from exc
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError,
            IndexError, AssertionError, zlib.error) as exc:
        raise invalid from exc
    if pages == 0:
        raise invalid
    if pages > MAX_PDF_PAGES:
        raise refused(VerificationCode.DOCUMENT_INVALID, f"PDF 最多 {MAX_PDF_PAGES} 页")
    # A raw look too: names inside streams pypdf did not walk (it only follows references).
    raw = {name for name in ("/JavaScript", "/OpenAction", "/Launch")
           if name.encode() in data}
    if active or raw:
        found = "、".join(sorted(active | raw))
        raise refused(VerificationCode.DOCUMENT_UNSAFE,
                      f"PDF 含有脚本或自动执行的动作（{found}），已拒收：请上传普通的发票或确认书 PDF")
    return CheckedFile(data, "pdf", "application/pdf", _digest(data), False)


def _active_names(reader: object) -> set[str]:
    """Every active name reachable from the document's trailer (catalogue, pages, annotations,
    name trees), at most ``MAX_PDF_OBJECTS`` objects: a file with more is refused as unreadable."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.trailer]  # type: ignore[attr-defined]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(node, DictionaryObject):
            for name, value in node.items():
                if name in PDF_ACTIVE_NAMES:
                    found.add(str(name))
                if name == "/S" and str(value) in PDF_ACTIVE_NAMES:
                    found.add(str(value))
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return found


def _ofd(data: bytes) -> CheckedFile:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    invalid = refused(VerificationCode.DOCUMENT_INVALID,
                      "OFD 文件无法打开（不是有效的 OFD 电子发票）：请从开票平台重新下载后上传")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_OFD_ENTRIES:
                raise invalid
            unpacked = 0
            for member in members:
                unpacked += member.file_size
                if (unpacked > MAX_OFD_UNPACKED or member.file_size
                        > MAX_OFD_RATIO * max(member.compress_size, 1) + 1024):
                    raise refused(VerificationCode.DOCUMENT_UNSAFE,
                                  "OFD 文件解压后过大（疑似压缩炸弹），已拒收")
            names = {m.filename for m in members}
            if "OFD.xml" not in names:
                raise invalid
            with archive.open("OFD.xml") as handle:
                root = ElementTree.fromstring(handle.read(1024 * 1024 + 1)[: 1024 * 1024])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            KeyError, DefusedXmlException, ElementTree.ParseError) as exc:
        raise invalid from exc
    if not str(root.tag).endswith("OFD"):
        raise invalid
    return CheckedFile(data, "ofd", "application/ofd", _digest(data), False)
