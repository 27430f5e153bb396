"""The campaign page `/` (mobile H5): rules, countdown, claim, the coupon card with its payment
code, "my voucher"'s history, the participating shops and eligible goods (R-ROLE-2, R-CLAIM-2,
R-USE-1; issue 16).

The page polls three small JSON answers while it is open, each cheap on purpose: the open
release's count (public, cached for two seconds per process), the resident's voucher and sale
state (one indexed read, every few seconds while the payment code is shown), and the payment code
itself once a minute.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from huiquan.campaigns.models import Campaign, Release
from huiquan.campaigns.selectors import current_campaign, release_by_id, schedule_of
from huiquan.catalog.selectors import kinds_of
from huiquan.consumers.models import Consumer
from huiquan.consumers.selectors import consumer_of
from huiquan.consumers.services import RESIDENT_SESSION
from huiquan.core import clock, identifiers
from huiquan.core import geo as geofence
from huiquan.core.errors import DomainError, NotFound
from huiquan.merchants.selectors import public_shops
from huiquan.redemptions import selectors as sales
from huiquan.vouchers import codes, paycode, selectors, services, words
from huiquan.vouchers.errors import VoucherCode
from huiquan.vouchers.models import Voucher

SUCCESS_FOR = timedelta(minutes=15)  # a sale this recent is shown as "支付成功"


def claim_area(campaign: Campaign) -> tuple[str | None, str]:
    """(adcode, name) of the area a claim must come from, as the campaign file says."""
    fence = (campaign.config or {}).get("geofences", {}).get("claim") or {}
    return fence.get("adcode"), fence.get("name") or "活动区域"


def _schedule(campaign: Campaign, release: Release | None) -> dict[str, Any]:
    """The schedule in words, from the campaign's own periods and releases."""
    times, later = schedule_of(campaign, release)
    return {"weekly": words.weekly_rule(o for o, _ in times),
            "validity": words.validity_rule(*times[0]) if times else None,
            "later": later}


def _goods(campaign: Campaign) -> list[dict[str, Any]]:
    """The eligible kinds as the catalogue has them now (R-CAT-5), grouped by category."""
    out: list[dict[str, Any]] = []
    for kind in kinds_of(campaign, active_only=True):
        if not out or out[-1]["code"] != kind.category_code:
            out.append({"code": kind.category_code, "name": kind.category_name, "kinds": [],
                        "grade": None, "gtin": False})
        out[-1]["kinds"].append(kind.name)
        if kind.max_grade:
            out[-1]["grade"] = words.grade(kind.max_grade)
        out[-1]["gtin"] = out[-1]["gtin"] or kind.requires_gtin
    return out


def _voucher_context(voucher: Voucher) -> dict[str, Any]:
    sale = sales.sale_state_of_voucher(voucher.pk)
    sale_state = sale[1] if sale else ""
    if sale_state == "pending":  # a till reserved it, the payment is in flight: 使用中, no code (F9)
        return {"voucher": voucher, "in_use": True, "sale_state": sale_state}
    code = paycode.current_code(voucher)
    return {"voucher": voucher, "code": paycode.display(code), "qr": codes.qr_svg(code),
            "barcode": codes.code128_svg(code), "seconds_left": paycode.seconds_left(),
            "sale_state": sale_state}


def _resident_context(campaign: Campaign, consumer: Consumer,
                      release_row: Release | None) -> dict[str, Any]:
    history = selectors.vouchers_of(consumer)
    voucher = selectors.live_voucher(consumer)
    context: dict[str, Any] = {"history": history, "sales": sales.sales_of(consumer),
                               "payment_notice": sales.payment_notice(consumer)
                               if history else None}
    if voucher is not None:
        context.update(_voucher_context(voucher))
    elif history:
        latest = history[0]
        context["latest"] = latest
        context["latest_state"] = selectors.voucher_state(latest)
        used = sales.of_voucher(latest) if latest.used_at else None
        context["used_sale"] = used
        context["just_paid"] = used is not None and used.completed_at is not None and \
            clock.now() - used.completed_at < SUCCESS_FOR
    if release_row is not None and consumer.is_verified and voucher is None:
        context["blocker"] = services.limits_refusal(consumer, release_row)
    return context


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign()
    if campaign is None:
        return render(request, "site/home.html", {"campaign": None})
    consumer = consumer_of(request.user)
    release = selectors.next_or_open_release(campaign)
    release_row = release_by_id(release["id"]) if release else None
    area = claim_area(campaign)[1]
    context: dict[str, Any] = {
        "campaign": campaign, "consumer": consumer, "release": release, "area": area,
        "schedule": _schedule(campaign, release_row), "shops": public_shops(campaign),
        "goods": _goods(campaign), "server_time": clock.now(),
        "resident_days": RESIDENT_SESSION.days,
        "claim_error": request.session.pop("claim_error", None) if consumer else None,
    }
    if release and release["state"] == "sold_out":
        context["next_release"] = selectors.next_release_after(campaign, release["opens_at"])
    if consumer is not None:
        context.update(_resident_context(campaign, consumer, release_row))
    return render(request, "site/home.html", context)


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
        messages.success(request, "领取成功！结账时把下面的付款码给收银员扫一下即可使用")
    return redirect("/#my-voucher")


@never_cache
def paycode_json(request: HttpRequest) -> HttpResponse:
    """The rotating payment code (QR, barcode, digits), for the page to refresh it every
    minute and when the resident taps 刷新."""
    consumer = consumer_of(request.user)
    voucher = selectors.live_voucher(consumer) if consumer else None
    if voucher is None:
        return JsonResponse({"code": VoucherCode.NO_VOUCHER, "message": VoucherCode.NO_VOUCHER.message},
                            status=404)
    if voucher.pk in sales.vouchers_in_sale([voucher.pk]):
        in_use = VoucherCode.VOUCHER_IN_USE
        return JsonResponse({"code": in_use, "message": in_use.message}, status=in_use.status)
    code = paycode.current_code(voucher)
    return JsonResponse({"payment_code": code, "display": paycode.display(code),
                         "svg": codes.qr_svg(code), "barcode": codes.code128_svg(code),
                         "seconds_left": paycode.seconds_left()})


@never_cache
@require_GET
def voucher_json(request: HttpRequest) -> HttpResponse:
    """What the coupon card polls while the code is shown: the voucher's state and the state of
    the sale using it. The page reloads when either changes (the till confirmed: success)."""
    consumer = consumer_of(request.user)
    if consumer is None:
        return JsonResponse({"code": "NOT_SIGNED_IN", "message": "请先登录"}, status=401)
    try:
        voucher_id = identifiers.whole_number(request.GET.get("id"), lambda: NotFound("没有这张券"))
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    voucher = selectors.own_voucher(consumer, voucher_id)
    if voucher is None:
        return JsonResponse({"code": "NOT_FOUND", "message": "没有这张券"}, status=404)
    sale = sales.sale_state_of_voucher(voucher.pk)
    sale_state = sale[1] if sale else ""
    return JsonResponse({"state": selectors.voucher_state(voucher,
                                                          sale_pending=sale_state == "pending"),
                         "sale_state": sale_state})


@require_GET
def release_json(request: HttpRequest, release_id: int) -> HttpResponse:
    """The live count of a release (public; cached two seconds here and in shared caches)."""
    found = selectors.release_live(release_id)
    if found is None:
        return JsonResponse({"code": "RELEASE_NOT_FOUND", "message": "没有这个批次"}, status=404)
    response = JsonResponse(found)
    response["Cache-Control"] = f"public, max-age={selectors.LIVE_SECONDS}"
    return response


@require_POST
def locate_json(request: HttpRequest) -> HttpResponse:
    """Before the rush: is this position inside the claim area? The page asks for the location
    during the countdown and tells the resident now, not at 10:00. Nothing is stored."""
    campaign = current_campaign()
    if campaign is None:
        return JsonResponse({"code": "NOT_FOUND", "message": "当前没有活动"}, status=404)
    adcode, area = claim_area(campaign)
    try:
        lat, lng, system = geofence.parse_point(request.POST.get("lat"), request.POST.get("lng"),
                                                request.POST.get("coord_system", "wgs84"))
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    if adcode is None or geofence.contains(adcode, lat=lat, lng=lng, coord_system=system):
        return JsonResponse({"inside": True, "area": area,
                             "message": f"已定位：您在{area}范围内，开抢时可以直接领取。"})
    km = geofence.distance_outside_km(adcode, lat=lat, lng=lng, coord_system=system)
    return JsonResponse({"inside": False, "area": area,
                         "message": words.outside_fence(area, km, lat, lng)})
