"""The back office /office/: thin views over the campaign, ledger and audit services/selectors.

GET pages only read. Each POST calls one service; a refusal (DomainError) is shown on the same
form in Chinese with the service's status, and nothing has changed (the service's transaction
rolled back). Success redirects (POST-redirect-GET), so a reload never submits twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from huiquan.audit import selectors as audit_selectors
from huiquan.campaigns import selectors, services
from huiquan.core.errors import DomainError
from huiquan.core.money import format_yuan
from huiquan.core.roles import require_role
from huiquan.office import selectors as office
from huiquan.office.access import FUNDS_ROLES, RELEASE_ROLES, is_staff, may, staff_required
from huiquan.office.forms import (
    AuditFilterForm,
    ConfirmReleaseForm,
    OfficeAuthenticationForm,
    ReceiveFundsForm,
    show_refusal,
    yuan_input,
)
from huiquan.reconcile import reconcile

AUDIT_PAGE_SIZE = 50
# Which form field a service's error code belongs next to; other codes go above the form.
RECEIVE_FIELDS = {"AMOUNT_INVALID": "amount", "OVER_COMMITTED": "amount",
                  "REFERENCE_REQUIRED": "reference"}
CONFIRM_FIELDS = {"AMOUNT_INVALID": "amount", "COUNT_INVALID": "voucher_count",
                  "REASON_REQUIRED": "reason"}


class LoginView(auth_views.LoginView):
    template_name = "office/login.html"
    authentication_form = OfficeAuthenticationForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Staff already logged in go straight in; anyone else may log in as someone else.
        self.redirect_authenticated_user = is_staff(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        # ?next= pointing back at this page would make Django raise (a 500): ignore it.
        return "" if url.split("?")[0] == self.request.path else url


@staff_required
@require_http_methods(["GET", "HEAD"])
def overview(request: HttpRequest) -> HttpResponse:
    campaign = office.current_campaign()
    funds = selectors.funds_by_source(campaign)
    return render(request, "office/overview.html", {
        "campaign": campaign,
        "funds": funds,
        "totals": office.funds_totals(funds),
        "periods": office.periods_with_releases(campaign),
        "next_release": selectors.next_confirmable(campaign),
        "reconciliation": reconcile(campaign),
        "can_tick": may(request.user, RELEASE_ROLES),
    })


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def funds(request: HttpRequest) -> HttpResponse:
    campaign = office.current_campaign()
    sources = campaign.funding_sources.order_by("order", "pk")
    status = 200
    if request.method == "POST":
        require_role(request.user, FUNDS_ROLES, action="登记资金到位")
        form = ReceiveFundsForm(request.POST, sources=sources)
        status = 400
        if form.is_valid():
            source = form.cleaned_data["source"]
            try:
                services.receive_funds(source=source, amount_fen=form.cleaned_data["amount"],
                                       reference=form.cleaned_data["reference"],
                                       actor=request.user)
            except DomainError as exc:
                status = show_refusal(form, exc, RECEIVE_FIELDS)
            else:
                messages.success(request, f"已登记 {source.name} 资金到位 "
                                          f"{format_yuan(form.cleaned_data['amount'])} 元")
                return redirect("office:funds")
    else:
        funds_now = selectors.funds_by_source(campaign)
        waiting = next((f.source for f in funds_now if f.not_received > 0), None)
        form = ReceiveFundsForm(initial={"source": waiting}, sources=sources)
    funds_rows = selectors.funds_by_source(campaign)
    return render(request, "office/funds.html", {
        "campaign": campaign,
        "funds": funds_rows,
        "totals": office.funds_totals(funds_rows),
        "form": form,
        "can_receive": may(request.user, FUNDS_ROLES),
        "receipts": office.fund_receipts(),
    }, status=status)


@staff_required
@require_http_methods(["GET", "HEAD"])
def releases(request: HttpRequest) -> HttpResponse:
    campaign = office.current_campaign()
    return render(request, "office/releases.html", {
        "campaign": campaign,
        "periods": office.periods_with_releases(campaign),
        "next_release": selectors.next_confirmable(campaign),
    })


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def release_detail(request: HttpRequest, release_id: int) -> HttpResponse:
    campaign = office.current_campaign()
    release = office.release_in(campaign, release_id)
    form: ConfirmReleaseForm | None = None
    status = 200
    if request.method == "POST":
        require_role(request.user, RELEASE_ROLES, action="确认批次投放")
        form = ConfirmReleaseForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.confirm_release(release=release, amount_fen=form.cleaned_data["amount"],
                                         voucher_count=form.cleaned_data["voucher_count"],
                                         reason=form.cleaned_data["reason"], actor=request.user)
            except DomainError as exc:
                status = show_refusal(form, exc, CONFIRM_FIELDS)
                release = office.release_in(campaign, release_id)  # someone may have confirmed
            else:
                messages.success(request, f"{release} 已确认投放")
                return redirect("office:release", release_id=release.pk)
    row = office.release_row(release)
    proposal = selectors.propose(release) if row.state == "awaiting_confirmation" else None
    if proposal is not None and form is None:
        form = ConfirmReleaseForm(initial={"amount": yuan_input(proposal.amount_fen),
                                           "voucher_count": proposal.voucher_count or 1})
    return render(request, "office/release.html", {
        "campaign": campaign, "release": release, "row": row, "proposal": proposal,
        "form": form, "can_confirm": may(request.user, RELEASE_ROLES),
        "show_form": proposal is not None and may(request.user, RELEASE_ROLES),
    }, status=status)


@staff_required
@require_POST
def tick(request: HttpRequest) -> HttpResponse:
    """Run due transitions now (what `huiquan tick` runs every minute); bureau only."""
    require_role(request.user, RELEASE_ROLES, action="立即执行到期事项")
    done = services.perform_due_transitions(campaign=office.current_campaign())
    messages.success(request, "；".join(done) if done else "没有到期的事项")
    return redirect("office:overview")


@staff_required
@require_http_methods(["GET", "HEAD"])
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, actions=audit_selectors.known_actions(),
                           object_types=office.audit_object_types())
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # a bad field is shown next to it; the valid ones still filter
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    paginator = Paginator(audit_selectors.entries(**filters), AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "office/audit.html", {
        "campaign": selectors.current_campaign(), "form": form, "page": page,
        "filtered": bool(filters), "verify": audit_selectors.verify_chain(),
        "query": query.urlencode(),
    })


@staff_required
@require_http_methods(["GET", "HEAD"])
def reconcile_view(request: HttpRequest) -> HttpResponse:
    campaign = office.current_campaign()
    return render(request, "office/reconcile.html",
                  {"campaign": campaign, "reconciliation": reconcile(campaign)})
