"""What a machine can read off the documents: barcodes (zxing-cpp), the invoice's QR code and
a photo's perceptual hash (imagehash). Slow: called by the checks task in the worker."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from huiquan.core.money import MoneyFormatError, parse_yuan

MAX_PDF_IMAGES = 12  # images looked at in an invoice PDF


def open_image(data: bytes) -> Any:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def barcodes(image: Any) -> list[tuple[str, str]]:
    """(format, text) of every barcode and QR code zxing-cpp finds in the image."""
    import zxingcpp

    try:
        found = zxingcpp.read_barcodes(image)
    except (ValueError, RuntimeError, TypeError):
        return []
    return [(str(r.format).rsplit(".", 1)[-1], r.text) for r in found if r.valid]


def phash(image: Any) -> str:
    import imagehash

    return str(imagehash.phash(image))


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def pdf_images(data: bytes) -> list[Any]:
    """The raster images inside a PDF (a scanned or photographed invoice is one), at most
    ``MAX_PDF_IMAGES``; a vector-drawn QR code is not among them (the reviewer looks)."""
    from pypdf import PdfReader

    images: list[Any] = []
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        for page in reader.pages[:5]:
            for item in page.images:
                images.append(item.image)
                if len(images) >= MAX_PDF_IMAGES:
                    return images
    except Exception:  # a PDF we cannot take apart has no readable QR code
        return images
    return images


@dataclass(frozen=True)
class InvoiceQr:
    """The QR code printed on Chinese VAT invoices (and fully digital ones, 数电票):
    ``01,<type>,<code>,<number>,<amount>,<YYYYMMDD>,<check code>,<crc>``. The code is empty on
    fully digital invoices, whose number has 20 digits."""

    kind: str
    code: str
    number: str
    amount_fen: int | None
    issued_on: date | None
    raw: str


def parse_invoice_qr(text: str) -> InvoiceQr | None:
    fields = [f.strip() for f in text.split(",")]
    if len(fields) < 6 or fields[0] != "01":
        return None
    amount: int | None
    try:
        amount = int(parse_yuan(fields[4], allow_zero=True))
    except MoneyFormatError:
        amount = None
    issued: date | None
    try:
        stamp = fields[5]
        issued = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8])) if len(stamp) == 8 else None
    except ValueError:
        issued = None
    return InvoiceQr(kind=fields[1], code=fields[2], number=fields[3].upper(),
                     amount_fen=amount, issued_on=issued, raw=text[:200])
