"""The merchant portal's home with the day's sales, the till (/merchant/till) and a merchant's
redemptions: receipt, confirmation form, returns.

Plain forms that work without JavaScript: enter the goods, see the quote (eligible price,
subsidy, what the consumer pays), scan the customer's payment code last, which confirms. The
confirm form carries an idempotency key made when the quote was shown, so a double click gives
one redemption."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from huiquan.campaigns.selectors import current_campaign
from huiquan.catalog.selectors import kinds_of
from huiquan.core import identifiers
from huiquan.core.errors import DomainError
from huiquan.core.money import format_yuan
from huiquan.merchants import checks
from huiquan.merchants import services as merchant_services
from huiquan.merchants.forms import StartForm
from huiquan.merchants.selectors import merchant_of, till_refusal
from huiquan.merchants.views import merchant_page
from huiquan.redemptions import pdf, returns, selectors, services, till_form
from huiquan.redemptions.errors import QuoteChanged, RedemptionCode


@merchant_page
def home(request: HttpRequest) -> HttpResponse:
    merchant = merchant_of(request.user)
    campaign = current_campaign()
    if merchant is None:
        form = StartForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and campaign is not None:
            try:
                merchant_services.start_application(campaign=campaign, actor=request.user,
                                           legal_name=form.cleaned_data["legal_name"])
            except DomainError as exc:
                form.add_error("legal_name", exc.message)
            else:
                return redirect("merchant:application")
        return render(request, "merchants/start.html", {"campaign": campaign, "form": form})
    refusal = till_refusal(merchant)
    return render(request, "merchants/home.html", {
        "campaign": campaign, "merchant": merchant, "refusal": refusal,
        "check_rows": _check_rows(merchant), "trainings": merchant.trainings.all(),
        "today": selectors.day_of(merchant),
        "recent": selectors.recent_of(merchant, 20),
        "missing": merchant_services.missing_fields(merchant),
    })


def _check_rows(merchant: Any) -> list[dict[str, Any]]:
    results = (merchant.checks or {}).get("results", {})
    return [{"label": checks.CHECK_LABELS.get(k, k), **v} for k, v in results.items()]


@merchant_page
def till(request: HttpRequest) -> HttpResponse:
    """Goods first, code last (issue 16): the goods (each barcode shown with its brand, model,
    kind and grade at once), then 计算补贴 — the quote, with no payment code and no voucher —
    then the customer's code, scanned last, confirms the sale in the same request."""
    merchant = merchant_of(request.user)
    refusal = till_refusal(merchant)
    if refusal is not None or merchant is None:
        return render(request, "merchants/till_locked.html",
                      {"merchant": merchant, "refusal": refusal}, status=403)
    post = request.POST if request.method == "POST" else {}
    step = post.get("step", "")
    kinds = kinds_of(merchant.campaign, active_only=True)
    types = till_form.row_types(kinds, merchant.categories)
    rows = till_form.rows_of(post, types[0].value, add=step == "add")
    context: dict[str, Any] = {
        "merchant": merchant, "campaign": merchant.campaign, "rows": rows, "types": types,
        "kinds": [k for k in kinds if k.category_code in merchant.categories
                  and not k.requires_gtin],
        "error": None, "quote": None, "idempotency_key": secrets.token_urlsafe(16),
    }
    try:
        if step in {"quote", "confirm"}:
            lines = till_form.parse_lines(post)
            if step == "confirm":
                return _confirm(request, post, lines, context)
            context["quote"] = services.quote_for(actor=request.user, lines=lines)
    except DomainError as exc:
        context["error"] = exc
    return _till_page(request, context)


def _confirm(request: HttpRequest, post: Any, lines: list[dict[str, Any]],
             context: dict[str, Any]) -> HttpResponse:
    try:
        redemption = services.redeem_voucher(
            actor=request.user, payment_code=post.get("payment_code", ""), lines=lines,
            idempotency_key=post.get("idempotency_key"), quote_id=post.get("quote_id"))
    except QuoteChanged as exc:  # the new quote is shown; the code is scanned again
        context["error"], context["quote"] = exc, exc.quote
        return _till_page(request, context)
    except DomainError as exc:  # the quote stays on screen: scan the code again
        context["error"] = exc
        try:
            context["quote"] = services.quote_for(actor=request.user, lines=lines)
        except DomainError:
            context["quote"] = None
        return _till_page(request, context)
    if redemption.state == "pending":
        messages.warning(request, "支付结果尚未返回：请稍后在本页点「查询支付结果」")
    else:
        messages.success(request, "核销成功")
    return redirect("merchant:redemption", redemption_id=redemption.pk)


def _till_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    if context["quote"] is None:  # editing: every scanned barcode shown with what it is
        for row in context["rows"]:
            if row.is_gtin and row.gtin.strip():
                row.goods = services.look_up_goods(actor=request.user, gtin=row.gtin)
    return render(request, "merchants/till.html", context,
                  status=422 if context["error"] else 200)


@merchant_page
@require_POST
def till_quote(request: HttpRequest) -> JsonResponse:
    """The running subsidy in the till's summary while goods are entered (its script asks as
    the cashier types; the quote that counts is 计算补贴's, shown before the code is scanned)."""
    if till_refusal(merchant_of(request.user)) is not None:
        return JsonResponse({"ok": False, "message": "收银台不可用"}, status=403)
    try:
        quote = services.quote_for(actor=request.user,
                                   lines=till_form.parse_lines(request.POST, priced_only=True))
    except DomainError as exc:
        return JsonResponse({"ok": False, "code": str(exc.code), "message": exc.message})
    return JsonResponse({"ok": True, "subsidy": format_yuan(quote.subsidy_fen),
                         "pays": format_yuan(quote.consumer_pays_fen),
                         "total": format_yuan(quote.total_final_fen)})


@merchant_page
def till_goods(request: HttpRequest) -> JsonResponse:
    """The till's look-up as a scanned barcode is entered (its script asks; the page without
    JavaScript shows the same on its next round trip)."""
    if till_refusal(merchant_of(request.user)) is not None:
        return JsonResponse({"found": False, "eligible": False,
                             "message": "收银台不可用"}, status=403)
    goods = services.look_up_goods(actor=request.user, gtin=request.GET.get("gtin", "")[:40])
    return JsonResponse(asdict(goods))


@merchant_page
def redemption_detail(request: HttpRequest, redemption_id: int) -> HttpResponse:
    merchant = merchant_of(request.user)
    redemption = selectors.for_merchant(merchant, redemption_id)
    return render(request, "merchants/redemption.html", {
        "merchant": merchant, "campaign": redemption.campaign, "r": redemption,
        "outcome": selectors.payment_outcome(redemption),
        "lines": list(redemption.lines.all()), "returns": list(redemption.returns.all()),
        "return_key": secrets.token_urlsafe(16)})


@merchant_page
@require_POST
def check(request: HttpRequest, redemption_id: int) -> HttpResponse:
    redemption = selectors.for_merchant(merchant_of(request.user), redemption_id)
    redemption = services.check_payment(redemption=redemption)
    messages.info(request, f"当前状态：{redemption.get_state_display()}。"
                  f"{selectors.payment_outcome(redemption)}")
    return redirect("merchant:redemption", redemption_id=redemption_id)


@merchant_page
@require_POST
def goods_return(request: HttpRequest, redemption_id: int) -> HttpResponse:
    redemption = selectors.for_merchant(merchant_of(request.user), redemption_id)
    items = []
    for line in redemption.lines.all():
        text = identifiers.nfkc(request.POST.get(f"return_{line.pk}", ""))
        if not text:
            continue
        try:
            quantity = identifiers.whole_number(
                text, lambda: DomainError("退货数量必须是整数", code=RedemptionCode.RETURN_INVALID))
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("merchant:redemption", redemption_id=redemption_id)
        if quantity:
            items.append({"line_id": line.pk, "quantity": quantity})
    try:
        done = returns.return_goods(
            actor=request.user, redemption_id=redemption_id, reason=request.POST.get("reason", ""),
            items=None if request.POST.get("all") else items,
            idempotency_key=request.POST.get("idempotency_key"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"退货已登记：退还顾客 {format_yuan(done.refund_fen)} 元（不含补贴）")
    return redirect("merchant:redemption", redemption_id=redemption_id)


@merchant_page
def confirmation_pdf(request: HttpRequest, redemption_id: int) -> HttpResponse:
    """《隰县家居消费补贴确认书》 for this sale, to print and sign (R-DOC-1)."""
    redemption = selectors.for_merchant(merchant_of(request.user), redemption_id)
    if redemption.state != "completed":
        raise DomainError("只有已完成的核销可以打印确认书", code=RedemptionCode.REDEMPTION_NOT_COMPLETED,
                          status=409)
    response = HttpResponse(pdf.confirmation_form(redemption), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="confirmation-{redemption.pk}.pdf"'
    return response
