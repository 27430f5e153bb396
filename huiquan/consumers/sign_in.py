"""Signing in by phone and one-time code (R-CLAIM-1): the page step shared by the campaign
page (consumers.views) and the merchant portal (merchants.views)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from huiquan.consumers import services
from huiquan.consumers.forms import CodeForm, PhoneForm
from huiquan.core.client_ip import client_ip
from huiquan.core.errors import DomainError


def otp_sign_in(request: HttpRequest, *, role: str, template: str, here: str,
                context: dict[str, object]) -> HttpResponse:
    """Phone → code → signed in (an account on first use). Shared by the campaign page and the
    merchant portal; where a signed-in person goes next is decided by their account."""
    phone_form = PhoneForm(request.POST if request.POST.get("step") == "send" else None)
    code_form = CodeForm(request.POST if request.POST.get("step") == "verify" else None,
                         initial={"phone": request.session.get("otp_phone", "")})
    if request.method == "POST" and request.POST.get("step") == "send" and phone_form.is_valid():
        try:
            services.request_otp(phone=phone_form.cleaned_data["phone"],
                                 ip=client_ip(request))
        except DomainError as exc:
            phone_form.add_error("phone", exc.message)
        else:
            request.session["otp_phone"] = services.normalise_phone(
                phone_form.cleaned_data["phone"])
            messages.success(request, "验证码已发送（沙箱环境：短信没有真的发出，见页面下方）"
                             if settings.SANDBOX else "验证码已发送，请查看手机短信")
            return redirect(here)
    if request.method == "POST" and request.POST.get("step") == "verify" and code_form.is_valid():
        try:
            session = services.verify_otp(phone=code_form.cleaned_data["phone"],
                                          code=code_form.cleaned_data["code"], role=role,
                                          ip=client_ip(request))
        except DomainError as exc:
            code_form.add_error("code", exc.message)
        else:
            login(request, session.user, backend="django.contrib.auth.backends.ModelBackend")
            if session.consumer is None:  # merchant staff: their portal
                return redirect("merchant:home")
            # A resident stays signed in for weeks (sign in on Thursday, claim on Friday without
            # waiting for a code at 10:00); staff sessions keep the site's short default.
            request.session.set_expiry(int(services.RESIDENT_SESSION.total_seconds()))
            return redirect("site:home" if session.consumer.is_verified else "site:identity")
    sandbox_code = None
    phone = request.session.get("otp_phone")
    if settings.SANDBOX and phone:
        from huiquan.consumers.sms import latest_sandbox_message

        sandbox_code = latest_sandbox_message(phone)
    return render(request, template, {
        **context, "phone_form": phone_form, "code_form": code_form, "otp_phone": phone,
        "sandbox_sms": sandbox_code,
    }, status=400 if request.method == "POST" else 200)
