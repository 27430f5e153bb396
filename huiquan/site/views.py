"""The campaign page `/` (mobile H5): rules, countdown, claim, my voucher and its payment code,
merchants and eligible goods (R-ROLE-2, R-CLAIM-2, R-USE-1)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from huiquan.campaigns.selectors import current_campaign
from huiquan.consumers.services import consumer_of
from huiquan.core import clock, identifiers
from huiquan.core.errors import DomainError
from huiquan.redemptions.selectors import payment_notice
from huiquan.vouchers import paycode, selectors, services
from huiquan.vouchers.errors import VoucherCode


def qr_svg(text: str) -> str:
    return segno.make_qr(text, error="m").svg_inline(border=2, dark="#111", omitsize=True)


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign()
    consumer = consumer_of(request.user)
    voucher = selectors.live_voucher(consumer) if consumer else None
    history = selectors.vouchers_of(consumer) if consumer else []
    latest = history[0] if history else None
    return render(request, "site/home.html", {
        "campaign": campaign,
        "release": selectors.next_or_open_release(campaign) if campaign else None,
        "consumer": consumer,
        "voucher": voucher,
        "latest": latest,
        "latest_state": selectors.voucher_state(latest) if latest else None,
        "payment_notice": payment_notice(consumer) if latest else None,
        "code": paycode.display(paycode.current_code(voucher)) if voucher else None,
        "qr": qr_svg(paycode.current_code(voucher)) if voucher else None,
        "seconds_left": paycode.seconds_left(),
        "server_time": clock.now(),
        "claim_error": request.session.pop("claim_error", None),
    })


@require_POST
def claim(request: HttpRequest) -> HttpResponse:
    consumer = consumer_of(request.user)
    if consumer is None:
        return redirect("site:sign_in")
    try:
        release_id = identifiers.whole_number(request.POST.get("release"), lambda: DomainError(
            "没有这个批次", code=VoucherCode.RELEASE_NOT_FOUND, status=404))
        services.claim_voucher(consumer=consumer, release_id=release_id,
                               lat=request.POST.get("lat"), lng=request.POST.get("lng"),
                               coord_system=request.POST.get("coord_system", "wgs84"),
                               idempotency_key=request.POST.get("idempotency_key"))
    except DomainError as exc:
        request.session["claim_error"] = {"code": exc.code, "message": exc.message}
    except ValueError:
        request.session["claim_error"] = {"code": VoucherCode.RELEASE_NOT_FOUND, "message": "没有这个批次"}
    else:
        messages.success(request, "领取成功！到参与活动的商户结账时出示付款码即可使用")
    return redirect("/#my-voucher")


@never_cache
def paycode_json(request: HttpRequest) -> HttpResponse:
    """The rotating payment code, for the page to refresh it every minute."""
    consumer = consumer_of(request.user)
    voucher = selectors.live_voucher(consumer) if consumer else None
    if voucher is None:
        return JsonResponse({"code": VoucherCode.NO_VOUCHER, "message": VoucherCode.NO_VOUCHER.message},
                            status=404)
    code = paycode.current_code(voucher)
    return JsonResponse({"payment_code": code, "display": paycode.display(code), "svg": qr_svg(code),
                         "seconds_left": paycode.seconds_left()})
