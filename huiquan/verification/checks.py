"""The automatic checks of a submission (R-DOC-2): each a named rule answering pass, fail or
review (a person must look), with the evidence it saw. ``evaluate`` runs them all for the
version being checked; the slow ones (barcode, QR code, perceptual hash) make it a task for
the worker (huiquan/verification/tasks.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from huiquan.catalog.selectors import product_by_gtin
from huiquan.core import clock
from huiquan.core.money import format_yuan
from huiquan.merchants.models import MerchantState
from huiquan.verification import readers, storage
from huiquan.verification.facts import buyer_name
from huiquan.verification.models import CheckOutcome, Document, DocumentKind, Submission

PASS, FAIL, REVIEW = CheckOutcome.PASS, CheckOutcome.FAIL, CheckOutcome.REVIEW
PHASH_NEAR = 6  # of 64 bits: a re-shot, re-compressed or cropped copy of the same photo

# The rules, in the order a reviewer reads them.
RULES: dict[str, str] = {
    "buyer_name": "发票购买方 = 消费者实名",
    "invoice_amount": "发票金额 = 成交价",
    "payment_amount": "付款金额 = 发票金额",
    "phone": "手机号 = 用券消费者",
    "gtin_register": "国标码 = 售出商品（目录内，能效 ≤2 级）",
    "label_barcode": "能效标识条码 = 售出商品",
    "invoice_qr": "发票二维码 = 填写的号码、日期、金额",
    "invoice_date": "开票日期在券有效期内",
    "invoice_unique": "发票号未在其他报备中使用",
    "photo_unique": "照片未在其他报备中使用",
    "merchant_active": "商户未被暂停或取消资格",
}


@dataclass(frozen=True)
class Result:
    rule: str
    outcome: str
    evidence: dict[str, Any]


@dataclass
class Seen:
    """What the checks look at: the submission, its sale and its documents' contents."""

    submission: Submission
    sale: Any
    documents: list[Document]
    contents: dict[int, bytes] = field(default_factory=dict)
    images: dict[int, Any] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[Document]:
        return [d for d in self.documents if d.kind == kind]

    @property
    def gtins_sold(self) -> list[str]:
        return sorted({line.gtin for line in self.sale.lines.all() if line.gtin})


def _yuan(value: int | None) -> str:
    return "未填写" if value is None else format_yuan(value)


def buyer_name_rule(seen: Seen) -> Result:
    typed = buyer_name(seen.submission.invoice_buyer_name)
    registered = buyer_name(seen.sale.consumer.real_name)
    ok = bool(typed) and typed == registered
    return Result("buyer_name", PASS if ok else FAIL,
                  {"invoice_buyer": typed, "registered_name": registered})


def invoice_amount_rule(seen: Seen) -> Result:
    invoice, final = seen.submission.invoice_amount_fen, seen.sale.total_final_fen
    return Result("invoice_amount", PASS if invoice == final else FAIL,
                  {"invoice": _yuan(invoice), "sale_final_price": _yuan(final)})


def payment_amount_rule(seen: Seen) -> Result:
    """The payment proof's amount is the invoice's (R-DOC-1 item 4); with ``invoice_amount``
    (the invoice's is the sale's) all three agree."""
    paid, invoice = seen.submission.payment_amount_fen, seen.submission.invoice_amount_fen
    final = seen.sale.total_final_fen
    ok = paid is not None and paid == invoice
    return Result("payment_amount", PASS if ok else FAIL,
                  {"payment": _yuan(paid), "invoice": _yuan(invoice),
                   "sale_final_price": _yuan(final)})


def phone_rule(seen: Seen) -> Result:
    typed, used = seen.submission.phone, seen.sale.consumer.phone
    return Result("phone", PASS if typed and typed == used else FAIL,
                  {"typed": _mask(typed), "redeemed_by": _mask(used)})


def _mask(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else phone


def gtin_register_rule(seen: Seen) -> Result:
    sold = seen.gtins_sold
    typed = seen.submission.energy_label_gtin
    if not sold:
        return Result("gtin_register", PASS, {"not_applicable": "本单没有按条码销售的家电"})
    evidence: dict[str, Any] = {"typed": typed or "未填写", "sold": sold}
    if typed not in sold:
        return Result("gtin_register", FAIL, evidence)
    product = product_by_gtin(seen.sale.campaign, typed)
    if product is None:
        return Result("gtin_register", FAIL, {**evidence, "register": "不在节能产品目录内"})
    limit = product.kind.max_grade or 2
    evidence.update({"product": str(product), "grade": product.grade, "max_grade": limit,
                     "listed": product.listed})
    return Result("gtin_register", PASS if product.listed and product.grade <= limit else FAIL,
                  evidence)


def label_barcode_rule(seen: Seen) -> Result:
    """The 13-digit code read from the energy-label photo is the GTIN sold."""
    sold = seen.gtins_sold
    if not sold:
        return Result("label_barcode", PASS, {"not_applicable": "本单没有按条码销售的家电"})
    read: list[str] = []
    for document in seen.of_kind(DocumentKind.ENERGY_LABEL):
        image = seen.images.get(document.pk)
        if image is not None:
            read += [text for fmt, text in readers.barcodes(image) if fmt.startswith("EAN")]
    evidence = {"read": sorted(set(read)), "sold": sold}
    if not read:
        return Result("label_barcode", REVIEW, {**evidence, "note": "照片上没有读出条码：请人工核对"})
    return Result("label_barcode", PASS if set(read) & set(sold) else FAIL, evidence)


def invoice_qr_rule(seen: Seen) -> Result:
    """The invoice's own QR code (number, date, amount) against what was typed. The amount in
    the code may be the amount before tax: a different amount asks a person to look."""
    sub = seen.submission
    texts: list[str] = []
    for document in seen.of_kind(DocumentKind.INVOICE):
        if document.pk in seen.images:
            candidates = [seen.images[document.pk]]
        elif document.content_type == "application/pdf":
            candidates = readers.pdf_images(seen.contents.get(document.pk, b""))
        else:
            candidates = []
        for image in candidates:
            texts += [text for fmt, text in readers.barcodes(image) if "QR" in fmt.upper()]
    parsed = [q for q in map(readers.parse_invoice_qr, texts) if q is not None]
    if not parsed:
        return Result("invoice_qr", REVIEW, {"note": "发票上没有读出二维码（OFD、矢量 PDF 或照片不清）："
                                                     "请人工核对号码、日期、金额"})
    qr = parsed[0]
    evidence = {"qr_number": qr.number, "typed_number": sub.invoice_number,
                "qr_date": qr.issued_on.isoformat() if qr.issued_on else "无法读取",
                "typed_date": sub.invoice_date.isoformat() if sub.invoice_date else "未填写",
                "qr_amount": _yuan(qr.amount_fen), "typed_amount": _yuan(sub.invoice_amount_fen)}
    if qr.number != sub.invoice_number or qr.issued_on != sub.invoice_date:
        return Result("invoice_qr", FAIL, evidence)
    if qr.amount_fen != sub.invoice_amount_fen:
        return Result("invoice_qr", REVIEW,
                      {**evidence, "note": "二维码金额与填写金额不同（可能是不含税金额）：请人工核对"})
    return Result("invoice_qr", PASS, evidence)


def invoice_date_rule(seen: Seen) -> Result:
    voucher = seen.sale.voucher
    first = clock.local(voucher.claimed_at).date()
    last = clock.local(voucher.valid_until).date()
    issued = seen.submission.invoice_date
    ok = issued is not None and first <= issued <= last
    return Result("invoice_date", PASS if ok else FAIL,
                  {"invoice_date": issued.isoformat() if issued else "未填写",
                   "voucher_valid": f"{first.isoformat()} 至 {last.isoformat()}"})


def invoice_unique_rule(seen: Seen) -> Result:
    number = seen.submission.invoice_number
    others = list(Submission.objects.filter(invoice_number=number)
                  .exclude(pk=seen.submission.pk).values_list("pk", flat=True)[:10])
    return Result("invoice_unique", FAIL if others else PASS,
                  {"invoice_number": number, "other_submissions": others})


def photo_unique_rule(seen: Seen, phashes: dict[int, str]) -> Result:
    """No photo of this submission is (nearly) the same as one in another submission: the
    perceptual hash's Hamming distance is more than ``PHASH_NEAR``."""
    others = (Document.objects.filter(submission__campaign_id=seen.submission.campaign_id,
                                      removed_at__isnull=True).exclude(phash="")
              .exclude(submission_id=seen.submission.pk)
              .values_list("pk", "submission_id", "kind", "phash"))
    matches = []
    for other_id, other_submission, kind, other_hash in others.iterator():
        for document_id, mine in phashes.items():
            distance = readers.hamming(mine, other_hash)
            if distance <= PHASH_NEAR:
                matches.append({"document": document_id, "other_submission": other_submission,
                                "other_document": other_id, "other_kind": kind,
                                "distance": distance})
    return Result("photo_unique", FAIL if matches else PASS,
                  {"photos": len(phashes), "matches": matches[:10], "threshold": PHASH_NEAR})


def merchant_active_rule(seen: Seen) -> Result:
    state = seen.sale.merchant.state
    return Result("merchant_active", PASS if state == MerchantState.APPROVED else FAIL,
                  {"merchant_state": MerchantState(state).label})


def load(submission: Submission, sale: Any) -> Seen:
    """Read the current documents' files; images opened once for every rule."""
    documents = list(Document.objects.filter(submission=submission, removed_at__isnull=True)
                     .order_by("kind", "pk"))
    seen = Seen(submission=submission, sale=sale, documents=documents)
    for document in documents:
        try:
            seen.contents[document.pk] = storage.read(document)
        except OSError:
            continue  # a missing file reads as nothing: the rules that need it ask for review
        if document.content_type.startswith("image/"):
            try:
                seen.images[document.pk] = readers.open_image(seen.contents[document.pk])
            except (OSError, ValueError):
                continue
    return seen


def evaluate(submission: Submission, sale: Any) -> tuple[list[Result], dict[int, str]]:
    """Every rule's result for the submission's current version, and the photos' hashes."""
    seen = load(submission, sale)
    phashes = {pk: (next((d.phash for d in seen.documents if d.pk == pk and d.phash), "")
                    or readers.phash(image)) for pk, image in seen.images.items()}
    results = [buyer_name_rule(seen), invoice_amount_rule(seen), payment_amount_rule(seen),
               phone_rule(seen), gtin_register_rule(seen), label_barcode_rule(seen),
               invoice_qr_rule(seen), invoice_date_rule(seen), invoice_unique_rule(seen),
               photo_unique_rule(seen, phashes), merchant_active_rule(seen)]
    return results, phashes


# What the evidence's keys are called on the reviewer's page.
EVIDENCE_LABELS = {
    "invoice_buyer": "发票购买方", "registered_name": "实名姓名", "invoice": "发票金额",
    "sale_final_price": "成交价", "payment": "付款金额", "typed": "填写", "redeemed_by": "用券手机号",
    "sold": "售出条码", "product": "目录商品", "grade": "能效等级", "max_grade": "要求不低于",
    "listed": "在目录内", "register": "目录", "read": "照片读出条码", "note": "说明",
    "qr_number": "二维码号码", "typed_number": "填写号码", "qr_date": "二维码日期",
    "typed_date": "填写日期", "qr_amount": "二维码金额", "typed_amount": "填写金额",
    "invoice_date": "开票日期", "voucher_valid": "券有效期", "invoice_number": "发票号码",
    "other_submissions": "已用于报备", "photos": "照片数", "matches": "相似照片",
    "threshold": "相似阈值", "merchant_state": "商户状态", "not_applicable": "不适用",
}


def readable(result: Any) -> dict[str, Any]:
    """A stored result as the reviewer reads it: the rule's name, the outcome, the evidence."""
    return {"rule": result.rule, "label": RULES.get(result.rule, result.rule),
            "outcome": result.outcome, "outcome_label": CheckOutcome(result.outcome).label,
            "evidence": [(EVIDENCE_LABELS.get(k, k),
                          "、".join(f"报备 #{i}" for i in v) or "无" if k == "other_submissions"
                          else _shown(v)) for k, v in result.evidence.items()]}


def _shown(value: Any) -> str:
    """Evidence in words: lists joined, yes/no for flags, a similar photo as where it is."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        if not value:
            return "无"
        return "、".join(_shown(v) for v in value)
    if isinstance(value, dict) and "other_submission" in value:
        return (f"报备 #{value['other_submission']} 的{DocumentKind(value['other_kind']).label}"
                f"（差异 {value['distance']}）")
    return str(value)
