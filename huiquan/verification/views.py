"""The merchant's claim documents (/merchant/documents/…, R-DOC-1..3), phone-first, and the one
view that serves a stored document to those allowed to see it (invariant 7).

Plain forms that work without JavaScript: the typed facts are one form (saved as a draft), each
kind of document its own small upload form (one file per request: a phone on a slow line sends
one photo at a time), and "提交审核" sends it all. A refusal is shown in Chinese on the page;
nothing half-written is kept."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from huiquan.core.errors import DomainError, NotFound
from huiquan.core.money import format_yuan
from huiquan.core.roles import Role, role_of
from huiquan.merchants.selectors import merchant_of
from huiquan.merchants.views import merchant_page
from huiquan.redemptions.verification_reads import sale_for_documents
from huiquan.verification import files, selectors, services, storage
from huiquan.verification.errors import FactInvalid, VerificationCode, refused
from huiquan.verification.models import (
    EDITABLE_STATES,
    KIND_FORMATS,
    KIND_MAX_FILES,
    DocumentKind,
    Submission,
)

# Who may open a stored document besides the merchant's own staff (invariant 7).
DOCUMENT_ROLES = frozenset({Role.REVIEWER, Role.AUDITOR})
# A request carrying one document: the file and a little form around it.
MAX_UPLOAD_REQUEST = files.MAX_BYTES + 64 * 1024
ACCEPT = {"image": "image/*", "pdf": ".pdf,application/pdf", "ofd": ".ofd"}
HINTS = {
    DocumentKind.ID_CARD: "消费者身份证正面照片（可再加反面）",
    DocumentKind.INVOICE: "发票照片、PDF 或 OFD 电子发票（带二维码的一面）",
    DocumentKind.PAYMENT_PROOF: "顾客付款记录截图或照片（金额清晰）",
    DocumentKind.GOODS_PHOTO: "商品实物照片，最多 6 张",
    DocumentKind.ENERGY_LABEL: "家电能效标识照片，条码清晰",
    DocumentKind.CONFIRMATION: "收银台打印的确认书，商户与消费者签字后拍照",
}


def _money_input(value: int | None) -> str:
    return "" if value is None else format_yuan(value).replace(",", "")


def _facts(submission: Submission, post: Any = None) -> dict[str, str]:
    if post is not None:
        return {k: str(post.get(k, "")) for k in (
            "phone", "invoice_number", "invoice_date", "invoice_buyer_name", "invoice_amount",
            "payment_amount", "energy_label_gtin")}
    return {"phone": submission.phone, "invoice_number": submission.invoice_number,
            "invoice_date": submission.invoice_date.isoformat() if submission.invoice_date else "",
            "invoice_buyer_name": submission.invoice_buyer_name,
            "invoice_amount": _money_input(submission.invoice_amount_fen),
            "payment_amount": _money_input(submission.payment_amount_fen),
            "energy_label_gtin": submission.energy_label_gtin}


@merchant_page
@require_http_methods(["GET", "HEAD", "POST"])
def documents_home(request: HttpRequest) -> HttpResponse:
    """The shop's completed sales and their documents, each with its deadline's countdown."""
    merchant = merchant_of(request.user)
    if merchant is None:
        return redirect("merchant:home")
    status = 200
    if request.method == "POST":
        try:
            submission = services.open_submission(
                actor=request.user, redemption_id=_whole(request.POST.get("redemption")))
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            return redirect("merchant:submission", submission_id=submission.pk)
    return render(request, "verification/list.html", {
        "merchant": merchant, "campaign": merchant.campaign,
        "rows": selectors.sales_for_documents(merchant)}, status=status)


def _whole(text: object) -> int:
    value = str(text or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise refused(VerificationCode.SUBMISSION_NOT_FOUND, "没有这笔核销记录")
    return int(value)


def _page(request: HttpRequest, submission: Submission, *, status: int = 200,
          facts: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          upload_error: tuple[str, str] | None = None) -> HttpResponse:
    merchant = merchant_of(request.user)
    sale = sale_for_documents(submission.redemption_id)
    documents = selectors.documents_of(submission)
    appliance = services.is_appliance_sale(sale)
    slots = []
    for kind in DocumentKind:
        if kind == DocumentKind.ENERGY_LABEL and not appliance:
            continue
        mine = [d for d in documents if d.kind == kind]
        slots.append({"kind": kind.value, "label": kind.label, "hint": HINTS[kind],
                      "documents": mine, "many": KIND_MAX_FILES.get(kind, 1) > 1,
                      "accept": ",".join(ACCEPT[f] for f in sorted(KIND_FORMATS[kind])),
                      "error": upload_error[1] if upload_error and upload_error[0] == kind
                      else ""})
    left, late = selectors.countdown(submission.due_at)
    decisions = selectors.decisions_of(submission)
    return render(request, "verification/submission.html", {
        "merchant": merchant, "campaign": merchant.campaign if merchant else None,
        "submission": submission, "sale": sale, "lines": list(sale.lines.all()),
        "appliance": appliance, "slots": slots,
        "facts": facts or _facts(submission), "errors": errors or {},
        "editable": submission.state in EDITABLE_STATES, "left": left, "late": late,
        "missing": services.missing_items(submission, sale)
        if submission.state in EDITABLE_STATES else [],
        "correction": selectors.latest_correction(submission),
        "decisions": decisions,
        "rejection": next((d for d in reversed(decisions) if d.decision == "reject"), None),
        "max_mb": files.MAX_BYTES // (1024 * 1024),
    }, status=status)


@merchant_page
@require_http_methods(["GET", "HEAD", "POST"])
def submission_page(request: HttpRequest, submission_id: int) -> HttpResponse:
    """One sale's documents: GET shows them, POST saves the typed facts (a draft)."""
    submission = selectors.own_submission(merchant_of(request.user), submission_id)
    if request.method != "POST":
        return _page(request, submission)
    try:
        services.save_facts(actor=request.user, submission_id=submission.pk, raw=request.POST)
    except FactInvalid as exc:
        return _page(request, submission, status=exc.status, facts=_facts(submission, request.POST),
                     errors={exc.field: exc.message})
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page(request, submission, status=exc.status,
                     facts=_facts(submission, request.POST))
    messages.success(request, "已保存（草稿）：资料齐全后点「提交审核」")
    return redirect("merchant:submission", submission_id=submission.pk)


@csrf_exempt  # the size is checked before anything reads the body; the token right after
@merchant_page
@require_POST
def upload(request: HttpRequest, submission_id: int) -> HttpResponse:
    """One document. A body larger than one document may be is refused from its declared
    length, before a byte of it is read (a 200 MB "photo" costs the server nothing)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    submission = selectors.own_submission(merchant_of(request.user), submission_id)
    if length > MAX_UPLOAD_REQUEST:
        too_large = refused(VerificationCode.DOCUMENT_TOO_LARGE,
                            f"文件过大：每个文件最多 {files.MAX_BYTES // (1024 * 1024)} MB，"
                            "请压缩或重新拍照后上传")
        response = _page(request, submission, status=too_large.status,
                         upload_error=(request.GET.get("kind", ""), too_large.message))
        response["Connection"] = "close"  # do not wait for the rest of the body
        return response
    return _checked_upload(request, submission)


@csrf_protect
def _checked_upload(request: HttpRequest, submission: Submission) -> HttpResponse:
    kind = request.POST.get("kind", "")
    upload_file = request.FILES.get("file")
    if upload_file is None:
        return _page(request, submission, status=422, upload_error=(kind, "请选择要上传的文件"))
    try:
        services.add_document(actor=request.user, submission_id=submission.pk, kind=kind,
                              name=upload_file.name or "", data=upload_file.read())
    except DomainError as exc:
        return _page(request, submission, status=exc.status, upload_error=(kind, exc.message))
    messages.success(request, f"已上传：{DocumentKind(kind).label}")
    return redirect("merchant:submission", submission_id=submission.pk)


@merchant_page
@require_POST
def remove(request: HttpRequest, submission_id: int, document_id: int) -> HttpResponse:
    try:
        services.remove_document(actor=request.user, submission_id=submission_id,
                                 document_id=document_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("merchant:submission", submission_id=submission_id)


@merchant_page
@require_POST
def send(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = selectors.own_submission(merchant_of(request.user), submission_id)
    try:
        services.send_submission(actor=request.user, submission_id=submission.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page(request, submission, status=exc.status)
    messages.success(request, "已提交审核：系统正在自动核验，之后由平台审核人员审核")
    return redirect("merchant:submission", submission_id=submission.pk)


@require_http_methods(["GET", "HEAD"])
def document(request: HttpRequest, document_id: int) -> FileResponse:
    """A stored document, to the staff of the merchant that uploaded it, reviewers and auditors
    only (invariant 7). Anyone else gets the same 404 as for a document that does not exist.
    Served as an attachment-safe download: never sniffed, sandboxed, not cached."""
    found = selectors.document_by_id(document_id)
    role = role_of(request.user)
    allowed = found is not None and (
        role in DOCUMENT_ROLES
        or (role == Role.MERCHANT
            and getattr(merchant_of(request.user), "pk", None) == found.submission.merchant_id))
    if found is None or not allowed:
        raise NotFound("没有这个文件")
    try:
        handle = storage.documents().open(found.file.name, "rb")
    except OSError as exc:
        raise NotFound("文件缺失，请联系系统管理员") from exc
    extension = found.file.name.rsplit(".", 1)[-1].lower()
    inline = found.content_type.startswith("image/")
    response = FileResponse(handle, content_type=found.content_type, as_attachment=not inline,
                            filename=f"document-{found.pk}.{extension}")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response
