"""The consumer's sign-in and real-name pages (mobile H5, R-CLAIM-1)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from huiquan.campaigns.selectors import current_campaign
from huiquan.consumers import privacy, selectors, services
from huiquan.consumers.forms import IdentityForm
from huiquan.consumers.sign_in import otp_sign_in
from huiquan.core.errors import DomainError
from huiquan.core.roles import Role


def sign_in(request: HttpRequest) -> HttpResponse:
    return otp_sign_in(request, role=Role.CONSUMER, template="site/sign_in.html",
                       here="site:sign_in", context={
                           "campaign": current_campaign(),
                           "resident_days": services.RESIDENT_SESSION.days})


IDENTITY_FIELDS = {"CONSENT_REQUIRED": "consent", "NAME_INVALID": "name"}  # else: id_number


def identity(request: HttpRequest) -> HttpResponse:
    """Name and ID number, after a separate consent to the privacy notice shown above them."""
    consumer = selectors.consumer_of(request.user)
    if consumer is None:
        return redirect("site:sign_in")
    if consumer.is_verified:
        return redirect("site:home")
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_identity(
                consumer=consumer, real_name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"], channel="web",
                privacy_consent=form.cleaned_data["consent_version"]
                if form.cleaned_data["consent"] else None)
        except DomainError as exc:
            form.add_error(IDENTITY_FIELDS.get(exc.code, "id_number"), exc.message)
        else:
            # Notes about the number (an area code stdnum's table does not know) are for the
            # staff who check ID documents, not for the resident: they are kept on the account.
            messages.success(request, "实名认证完成")
            return redirect("site:home")
    return render(request, "site/identity.html", {
        "campaign": current_campaign(), "form": form, "notice": privacy.notice(),
        "held": consumer.held_at is not None,
    }, status=400 if request.method == "POST" else 200)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Sign out here, or (``everywhere``) on every device: all sessions and API tokens."""
    if request.POST.get("everywhere") and request.user.is_authenticated:
        services.sign_out_everywhere(user=request.user)
    logout(request)
    return redirect("site:home")
