"""Approved submissions for tests of what comes after review (settlement, integrity), made
directly: the submission, checks and review have their own tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from huiquan.core import clock
from huiquan.verification.models import Decision, ReviewDecision, Submission, SubmissionState


def approved_submission(redemption: Any, reviewer: Any) -> Submission:
    now = clock.now()
    submission = Submission.objects.create(
        redemption=redemption, merchant_id=redemption.merchant_id,
        campaign_id=redemption.campaign_id, state=SubmissionState.APPROVED, version=1,
        due_at=now + timedelta(days=15), created_at=now, submitted_at=now, decided_at=now,
        approved_at=now)
    ReviewDecision.objects.create(submission=submission, version=1, reviewer=reviewer,
                                  decision=Decision.APPROVE, decided_at=now)
    return submission


# --- documents that are what they claim to be ---------------------------------------------------

def photo(seed: int, size: tuple[int, int] = (480, 360), fmt: str = "JPEG") -> bytes:
    """A photo unlike any other seed's (random blocks: distinct perceptual hashes)."""
    import io
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle([x, y, x + rng.randrange(20, 160), y + rng.randrange(20, 160)],
                       fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def label_photo(gtin: str, seed: int = 1) -> bytes:
    """An energy label's photo: the EAN-13 barcode of ``gtin`` on a white label, on a
    background of its own (two shops' photos of the same model are not the same photo)."""
    import io

    import barcode
    from barcode.writer import ImageWriter
    from PIL import Image

    out = io.BytesIO()
    barcode.get("ean13", gtin[:12], writer=ImageWriter()).write(out)
    label = Image.open(io.BytesIO(out.getvalue())).convert("RGB")
    canvas = Image.open(io.BytesIO(photo(seed, (label.width * 2, label.height * 2)))).convert("RGB")
    canvas.paste(Image.new("RGB", (label.width + 40, label.height + 40), "white"),
                 (label.width // 2 - 20, label.height // 2 - 20))
    canvas.paste(label, (label.width // 2, label.height // 2))
    final = io.BytesIO()
    canvas.save(final, format="PNG")
    return final.getvalue()


def invoice_photo(*, number: str, issued: str, amount_yuan: str, seed: int = 1) -> bytes:
    """An invoice's photo with its QR code: 01,<type>,<code>,<number>,<amount>,<YYYYMMDD>,..."""
    import io

    import segno
    from PIL import Image

    text = f"01,32,,{number},{amount_yuan},{issued.replace('-', '')},12345678901234567890,A1B2"
    code = io.BytesIO()
    segno.make(text, error="m").save(code, kind="png", scale=6, border=4)
    qr = Image.open(io.BytesIO(code.getvalue())).convert("RGB")
    page = Image.open(io.BytesIO(photo(seed, (900, 560)))).convert("RGB")
    page.paste(Image.new("RGB", (qr.width + 40, qr.height + 40), "white"), (20, 20))
    page.paste(qr, (40, 40))
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()


def plain_pdf(extra: str = "") -> bytes:
    """A one-page PDF; ``extra`` goes into the catalogue (e.g. an /OpenAction with JavaScript)."""
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R {extra}>>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            .encode())
    return out


GOOD_INVOICE = "24142000000012345678"  # a fully digital invoice's 20-digit number


def fill_submission(submission: Any, user: Any, sale: Any, *, seed: int = 1,
                    **facts: str) -> Any:
    """Type the facts and upload the documents of a good submission for ``sale``; ``facts``
    overrides what is typed (a bad variant)."""
    from huiquan.core.money import format_yuan
    from huiquan.verification import services
    from huiquan.verification.models import DocumentKind

    issued = clock.local(sale.created_at).date().isoformat()
    amount = format_yuan(sale.total_final_fen).replace(",", "")
    gtin = next((line.gtin for line in sale.lines.all() if line.gtin), "")
    typed = {"phone": sale.consumer.phone, "invoice_number": GOOD_INVOICE[:-3] + f"{seed:03d}",
             "invoice_date": issued, "invoice_buyer_name": sale.consumer.real_name,
             "invoice_amount": amount, "payment_amount": amount, "energy_label_gtin": gtin}
    typed.update(facts)
    services.save_facts(actor=user, submission_id=submission.pk, raw=typed)
    uploads = [(DocumentKind.ID_CARD, photo(seed * 100 + 1)),
               (DocumentKind.INVOICE, invoice_photo(number=typed["invoice_number"],
                                                    issued=issued, amount_yuan=amount,
                                                    seed=seed * 100 + 2)),
               (DocumentKind.PAYMENT_PROOF, photo(seed * 100 + 3)),
               (DocumentKind.GOODS_PHOTO, photo(seed * 100 + 4)),
               (DocumentKind.CONFIRMATION, photo(seed * 100 + 5))]
    if gtin:
        uploads.append((DocumentKind.ENERGY_LABEL, label_photo(gtin, seed * 100 + 6)))
    for kind, data in uploads:
        services.add_document(actor=user, submission_id=submission.pk, kind=kind,
                              name=f"{kind}.png", data=data)
    submission.refresh_from_db()
    return submission
