"""The merchant portal's home with the day's sales, the till (/merchant/till) and a merchant's
redemptions: receipt, confirmation form, returns.

Plain forms that work without JavaScript: enter the lines, see the quote (eligible price,
subsidy, what the consumer pays), confirm. The confirm form carries an idempotency key made
when the quote was shown, so a double click gives one redemption."""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from huiquan.campaigns.selectors import current_campaign
from huiquan.catalog.selectors import kinds_of
from huiquan.core import identifiers
from huiquan.core.errors import DomainError
from huiquan.core.money import MoneyFormatError, format_yuan, parse_yuan
from huiquan.merchants import checks
from huiquan.merchants import services as merchant_services
from huiquan.merchants.forms import StartForm
from huiquan.merchants.selectors import merchant_of, till_refusal
from huiquan.merchants.views import merchant_page
from huiquan.redemptions import pdf, pricing, scanlock, selectors, services
from huiquan.redemptions.errors import RedemptionCode
from huiquan.vouchers.selectors import voucher_state

ROWS = 6


class LineFormError(DomainError):
    code = RedemptionCode.PRICE_INVALID


def _money(text: str, what: str, row: int, *, allow_zero: bool = False) -> int:
    text = identifiers.nfkc(text)  # fullwidth ３００ is 300; anything else is the form's error
    try:
        return int(parse_yuan(text or ("0" if allow_zero else ""), allow_zero=allow_zero))
    except MoneyFormatError as exc:
        raise LineFormError(f"第 {row} 行{what}：{exc}") from exc


def parse_lines(post: Any) -> list[dict[str, Any]]:
    """The till form's rows → the service's line dicts (prices typed in yuan, kept in fen)."""
    lines = []
    for i in range(1, ROWS + 1):
        mode = post.get(f"mode_{i}", "gtin")
        gtin, kind, desc = (post.get(f"gtin_{i}", "").strip(), post.get(f"kind_{i}", "").strip(),
                            post.get(f"desc_{i}", "").strip())
        price = post.get(f"price_{i}", "").strip()
        if not price and not gtin and not desc and not (mode == "kind" and kind):
            continue
        quantity = identifiers.whole_number(
            identifiers.nfkc(post.get(f"qty_{i}", "1")) or "1",
            partial(LineFormError, f"第 {i} 行数量必须是正整数"), minimum=1)
        line: dict[str, Any] = {"quantity": quantity, "description": desc,
                                "unit_price_fen": _money(price, "单价", i),
                                "discount_fen": _money(post.get(f"disc_{i}", ""), "优惠", i,
                                                       allow_zero=True)}
        if mode == "other":
            line["other"] = True
        elif mode == "kind":
            line["kind_id"] = kind or None  # pricing reads it as a canonical whole number
        else:
            line["gtin"] = gtin
        lines.append(line)
    return lines


def _rows(post: Any) -> list[dict[str, str]]:
    return [{"n": str(i), "mode": post.get(f"mode_{i}", "gtin" if i == 1 else "kind"),
             "gtin": post.get(f"gtin_{i}", ""), "kind": post.get(f"kind_{i}", ""),
             "desc": post.get(f"desc_{i}", ""), "qty": post.get(f"qty_{i}", "1"),
             "price": post.get(f"price_{i}", ""), "disc": post.get(f"disc_{i}", "")}
            for i in range(1, ROWS + 1)]


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
    merchant = merchant_of(request.user)
    refusal = till_refusal(merchant)
    if refusal is not None or merchant is None:
        return render(request, "merchants/till_locked.html",
                      {"merchant": merchant, "refusal": refusal}, status=403)
    post = request.POST if request.method == "POST" else {}
    context: dict[str, Any] = {
        "merchant": merchant, "campaign": merchant.campaign, "rows": _rows(post),
        "kinds": [k for k in kinds_of(merchant.campaign, active_only=True)
                  if k.category_code in merchant.categories and not k.requires_gtin],
        "payment_code": post.get("payment_code", "").strip(), "error": None, "quote": None,
    }
    step = post.get("step")
    if step in {"quote", "confirm"}:
        try:
            lines = parse_lines(post)
            code = context["payment_code"]
            if step == "quote":
                voucher = scanlock.voucher_for_quote(
                    actor=request.user, merchant_id=merchant.pk,
                    merchant_name=merchant.legal_name, payment_code=code)
                context["quote"] = pricing.quote(campaign=merchant.campaign, merchant=merchant,
                                                 lines=lines)
                context["voucher"], context["voucher_state"] = voucher, voucher_state(voucher)
                context["consumer"] = voucher.consumer
                context["idempotency_key"] = secrets.token_urlsafe(16)
            else:
                redemption = services.redeem_voucher(
                    actor=request.user, payment_code=code, lines=lines,
                    idempotency_key=post.get("idempotency_key"))
                if redemption.state == "pending":
                    messages.warning(request, "支付结果尚未返回：请稍后在本页点「查询支付结果」")
                else:
                    messages.success(request, "核销成功")
                return redirect("merchant:redemption", redemption_id=redemption.pk)
        except DomainError as exc:
            context["error"] = exc
    return render(request, "merchants/till.html", context,
                  status=422 if context["error"] else 200)


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
        done = services.return_goods(
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
