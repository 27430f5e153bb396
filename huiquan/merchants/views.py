"""The merchant portal (/merchant/): sign in, apply, see the review. The portal's home page,
with the till and the day's sales, is redemptions.views.home (docs/architecture.md)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from huiquan.campaigns.selectors import current_campaign
from huiquan.consumers.sign_in import otp_sign_in
from huiquan.core.errors import DomainError
from huiquan.core.roles import Role, role_of
from huiquan.merchants import checks, services
from huiquan.merchants.forms import ApplicationForm
from huiquan.merchants.selectors import merchant_of


def merchant_page(view: Any) -> Any:
    """Merchant-role users only; everyone else goes to the portal's sign-in."""
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if role_of(request.user) != Role.MERCHANT:
            return redirect("merchant:login")
        return view(request, *args, **kwargs)  # type: ignore[no-any-return]
    return wrapped


def sign_in(request: HttpRequest) -> HttpResponse:
    return otp_sign_in(request, role=Role.MERCHANT, template="merchants/sign_in.html",
                       here="merchant:login", context={"campaign": current_campaign()})


def _initial(merchant: Any) -> dict[str, Any]:
    return {"legal_name": merchant.legal_name, "uscc": merchant.uscc, "address": merchant.address,
            "lat": merchant.lat or "", "lng": merchant.lng or "",
            "coord_system": merchant.coord_system, "categories": merchant.categories,
            "scale": merchant.scale, "bank_name": merchant.bank_name,
            "bank_account_name": merchant.bank_account_name, "bank_account": merchant.bank_account}


@merchant_page
def application(request: HttpRequest) -> HttpResponse:
    merchant = merchant_of(request.user)
    if merchant is None:
        return redirect("merchant:home")
    cats = checks.eligible_categories(merchant.campaign)
    form = ApplicationForm(request.POST or None, request.FILES or None, initial=_initial(merchant),
                           categories=cats)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("licence")
        try:
            services.save_application(
                merchant=merchant, actor=request.user,
                data={k: v for k, v in form.cleaned_data.items() if k != "licence"},
                licence=(upload.name, upload.read()) if upload else None)
            if request.POST.get("submit"):
                services.submit_application(merchant=merchant, actor=request.user)
                messages.success(request, "申请已提交，平台审核后会在此显示结果")
            else:
                messages.success(request, "已保存")
        except DomainError as exc:
            field = {"USCC_INVALID": "uscc", "USCC_TAKEN": "uscc", "OUTSIDE_COUNTY": "lat",
                     "LOCATION_INVALID": "lat", "BANK_ACCOUNT_INVALID": "bank_account",
                     "UPLOAD_INVALID": "licence", "UPLOAD_TOO_LARGE": "licence",
                     "CATEGORY_INVALID": "categories"}.get(exc.code)
            form.add_error(field, exc.message)
        else:
            return redirect("merchant:home" if request.POST.get("submit") else
                            "merchant:application")
    return render(request, "merchants/application.html", {
        "campaign": merchant.campaign, "merchant": merchant, "form": form,
        "editable": merchant.state in services.EDITABLE,
        "county": checks.county_name(merchant.campaign),
    }, status=400 if request.method == "POST" else 200)


@merchant_page
def licence(request: HttpRequest) -> FileResponse:
    """The merchant's own licence image (invariant 7: documents only to their owner and staff)."""
    merchant = merchant_of(request.user)
    if merchant is None or not merchant.licence:
        raise Http404
    return FileResponse(merchant.licence.open("rb"))


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout

    logout(request)
    return redirect("merchant:login")
