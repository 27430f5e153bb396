"""The back office /office/: thin views over campaign, ledger and audit services/selectors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from huiquan.audit import selectors as audit_selectors
from huiquan.campaigns import selectors, services
from huiquan.campaigns.models import Campaign, Release
from huiquan.core.errors import DomainError, NotFound, PermissionRefused
from huiquan.core.roles import Role, role_of
from huiquan.ledger.selectors import reconcile
from huiquan.office.forms import AuditFilterForm, ConfirmReleaseForm, ReceiveFundsForm

View = Callable[..., HttpResponse]
FUNDS_ROLES = {Role.FINANCE, Role.BUREAU}
RELEASE_ROLES = {Role.BUREAU}


def staff_required(view: View) -> View:
    """Log-in plus a staff role; anyone else is refused with a page, never shown data."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"/office/login/?next={request.path}")
        if not getattr(request.user, "is_office_staff", False):
            raise PermissionRefused("后台仅限工作人员使用：您的账号没有后台角色。")
        return view(request, *args, **kwargs)

    return wrapped


def _campaign() -> Campaign:
    campaign = selectors.current_campaign()
    if campaign is None:
        raise NotFound("还没有载入任何活动：请运行 huiquan campaign load FILE")
    return campaign


def _release(campaign: Campaign, release_id: int) -> Release:
    release = (Release.objects.select_related("period", "confirmed_by")
               .filter(pk=release_id, period__campaign=campaign).first())
    if release is None:
        raise NotFound("没有这个批次")
    return release


class LoginView(auth_views.LoginView):
    template_name = "office/login.html"
    redirect_authenticated_user = True


@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    periods = [
        {"period": p, "state": selectors.period_state(p), "rows": selectors.release_rows(p)}
        for p in campaign.periods.order_by("number")
    ]
    return render(request, "office/overview.html", {
        "campaign": campaign,
        "funds": selectors.funds_by_source(campaign),
        "periods": periods,
        "next_release": selectors.next_confirmable(campaign),
        "reconciliation": reconcile(campaign),
        "can_tick": role_of(request.user) in RELEASE_ROLES,
    })


@staff_required
def funds(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    sources = list(campaign.funding_sources.order_by("order", "pk"))
    form = ReceiveFundsForm(request.POST or None, sources=sources)
    if request.method == "POST" and form.is_valid():
        source = next(s for s in sources if s.pk == form.cleaned_data["source"])
        try:
            services.receive_funds(source=source, amount_fen=form.cleaned_data["amount"],
                                   reference=form.cleaned_data["reference"], actor=request.user)
        except PermissionRefused:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已登记 {source.name} 资金到位")
            return redirect("office:funds")
    return render(request, "office/funds.html", {
        "campaign": campaign,
        "funds": selectors.funds_by_source(campaign),
        "form": form,
        "can_receive": role_of(request.user) in FUNDS_ROLES,
    }, status=400 if request.method == "POST" else 200)


@staff_required
def releases(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    periods = [{"period": p, "state": selectors.period_state(p),
                "rows": selectors.release_rows(p)} for p in campaign.periods.order_by("number")]
    return render(request, "office/releases.html", {"campaign": campaign, "periods": periods})


@staff_required
def release_detail(request: HttpRequest, release_id: int) -> HttpResponse:
    campaign = _campaign()
    release = _release(campaign, release_id)
    proposal = None if release.confirmed_at else selectors.propose(release)
    initial = {}
    if proposal is not None:
        initial = {"amount": f"{proposal.amount_fen / 100:.2f}".removesuffix(".00"),
                   "voucher_count": proposal.voucher_count or 1}
    form = ConfirmReleaseForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.confirm_release(release=release, amount_fen=form.cleaned_data["amount"],
                                         voucher_count=form.cleaned_data["voucher_count"],
                                         reason=form.cleaned_data["reason"], actor=request.user)
            except PermissionRefused:
                raise
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"{release} 已确认投放")
                return redirect("office:release", release_id=release.pk)
    row = next(r for r in selectors.release_rows(release.period) if r.release.pk == release.pk)
    return render(request, "office/release.html", {
        "campaign": campaign, "release": release, "row": row, "proposal": proposal,
        "form": form, "can_confirm": role_of(request.user) in RELEASE_ROLES,
        "default_count": selectors.default_voucher_count(campaign, proposal.amount_fen)
        if proposal else None,
    }, status=status)


@staff_required
@require_POST
def tick(request: HttpRequest) -> HttpResponse:
    """Run due transitions now (what cron runs every minute); bureau only."""
    if role_of(request.user) not in RELEASE_ROLES:
        raise PermissionRefused("只有县工信和科技局可以执行到期事项")
    done = services.perform_due_transitions(campaign=_campaign())
    messages.success(request, "；".join(done) if done else "没有到期的事项")
    return redirect("office:overview")


@staff_required
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, actions=audit_selectors.known_actions())
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    page = Paginator(audit_selectors.entries(**filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "office/audit.html", {
        "campaign": selectors.current_campaign(), "form": form, "page": page,
        "verify": audit_selectors.verify_chain(), "query": query.urlencode(),
    })


@staff_required
def reconcile_view(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    return render(request, "office/reconcile.html",
                  {"campaign": campaign, "reconciliation": reconcile(campaign)})
