"""Market supervision's pages (R-INT-1..2, R-ROLE-1): the integrity signals with their
evidence, and the cases — open one, add notes and evidence images, decide.

Same habits as views.py: GET only reads; each POST checks the role, then calls exactly one
service; a refusal is shown on its form in Chinese with the service's status and nothing has
changed; success redirects. Market supervision, the bureau and the auditor (read-only) see
these pages; every other role gets the 403 page, a forged id the 404 page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from huiquan.core.errors import CoreCode, DomainError, NotFound
from huiquan.core.roles import Role, require_role
from huiquan.integrity import selectors, services
from huiquan.integrity.models import CaseDecision, CaseState, Severity, SignalKind
from huiquan.merchants import selectors as merchant_selectors
from huiquan.merchants.models import MerchantState
from huiquan.office import selectors as office
from huiquan.office.access import may, staff_required
from huiquan.office.forms import show_refusal
from huiquan.office.forms_integrity import (
    CaseFilterForm,
    ComplaintForm,
    DecisionForm,
    EntryForm,
    OpenFromSignalForm,
    SignalFilterForm,
)

VIEW_ROLES = frozenset(services.VIEW_ROLES)
CASE_ROLES = frozenset(services.CASE_ROLES)
SCAN_ROLES = frozenset({*services.CASE_ROLES, Role.BUREAU})
ENTRY_FIELDS = {"TEXT_REQUIRED": "text", "EVIDENCE_INVALID": "file", "EVIDENCE_TOO_LARGE": "file"}
DECISION_FIELDS = {"DECISION_INVALID": "decision"}
COMPLAINT_FIELDS = {"TEXT_REQUIRED": "complaint", "CASE_INVALID": "merchant"}
SEVERITY_PILLS: dict[str, str] = {Severity.HIGH: "bad", Severity.MEDIUM: "awaiting_confirmation",
                  Severity.LOW: "scheduled"}


def _viewer(request: HttpRequest) -> None:
    require_role(request.user, VIEW_ROLES, action="查看诚信监管")


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def signals(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    campaign = office.current_campaign()
    if request.method == "POST":  # 立即扫描
        require_role(request.user, SCAN_ROLES, action="诚信扫描")
        report = services.scan(campaign=campaign, actor=request.user)
        (messages.warning if report.failed else messages.success)(request, str(report))
        return redirect("office:supervision_signals")
    form = SignalFilterForm(request.GET or None,
                            merchants=selectors.signal_merchants(campaign))
    chosen = form.cleaned_data if form.is_valid() else {}
    rows = selectors.signals(campaign, kind=chosen.get("kind") or "",
                             merchant_id=chosen.get("merchant"),
                             severity=chosen.get("severity") or "")
    counts = selectors.signal_counts(campaign)
    return render(request, "office/supervision_signals.html", {
        "campaign": campaign, "form": form, "signals": rows,
        "filtered": any(chosen.values()),
        "kind_counts": [(k.label, counts.get(k.value, 0), k.value) for k in SignalKind],
        "can_scan": may(request.user, SCAN_ROLES),
    })


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def signal_detail(request: HttpRequest, signal_id: int) -> HttpResponse:
    _viewer(request)
    campaign = office.current_campaign()
    signal = selectors.signal_in(campaign, signal_id)
    form = OpenFromSignalForm(request.POST or None)
    status = 200
    if request.method == "POST":
        require_role(request.user, CASE_ROLES, action="立案调查")
        status = 400
        if form.is_valid():
            try:
                case = services.open_case(actor=request.user, campaign=campaign,
                                          signal_id=signal.pk, title=form.cleaned_data["title"])
            except DomainError as exc:
                status = show_refusal(form, exc, {})
            else:
                messages.success(request, f"已立案：案件 #{case.pk}")
                return redirect("office:supervision_case", case_id=case.pk)
    return render(request, "office/supervision_signal.html", {
        "campaign": campaign, "signal": signal, "evidence": signal.evidence,
        "cases": selectors.cases_of_signal(signal), "form": form,
        "pill": SEVERITY_PILLS.get(signal.severity, ""),
        "can_open": may(request.user, CASE_ROLES),
    }, status=status)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def cases(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    campaign = office.current_campaign()
    shops = [(m.pk, m.legal_name) for m in merchant_selectors.all_merchants(campaign)]
    complaint = ComplaintForm(request.POST or None, merchants=shops)
    status = 200
    if request.method == "POST":
        require_role(request.user, CASE_ROLES, action="登记投诉立案")
        status = 400
        if complaint.is_valid():
            try:
                case = services.open_case(actor=request.user, campaign=campaign,
                                          merchant_id=complaint.cleaned_data["merchant"],
                                          complaint=complaint.cleaned_data["complaint"])
            except DomainError as exc:
                status = show_refusal(complaint, exc, COMPLAINT_FIELDS)
            else:
                messages.success(request, f"已登记投诉并立案：案件 #{case.pk}")
                return redirect("office:supervision_case", case_id=case.pk)
    form = CaseFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_valid() else ""
    return render(request, "office/supervision_cases.html", {
        "campaign": campaign, "form": form, "cases": selectors.cases(campaign, state=state),
        "complaint": complaint, "can_open": may(request.user, CASE_ROLES),
        "filtered": bool(state),
    }, status=status)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    _viewer(request)
    campaign = office.current_campaign()
    case = selectors.case_in(campaign, case_id)
    entry_form = EntryForm(prefix="entry")
    decision_form = DecisionForm(prefix="decide")
    status = 200
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "entry":
        require_role(request.user, CASE_ROLES, action="添加案件记录")
        entry_form = EntryForm(request.POST, request.FILES, prefix="entry")
        status = 400
        if entry_form.is_valid():
            try:
                services.add_entry(actor=request.user, campaign=campaign, case_id=case.pk,
                                   text=entry_form.cleaned_data["text"],
                                   upload=entry_form.cleaned_data["file"])
            except DomainError as exc:
                status = show_refusal(entry_form, exc, ENTRY_FIELDS)
            else:
                messages.success(request, "已添加记录")
                return redirect("office:supervision_case", case_id=case.pk)
    elif action == "decide":
        require_role(request.user, CASE_ROLES, action="作出处理决定")
        decision_form = DecisionForm(request.POST, prefix="decide")
        status = 400
        if decision_form.is_valid():
            data = decision_form.cleaned_data
            try:
                decided = services.decide_case(
                    actor=request.user, campaign=campaign, case_id=case.pk,
                    decision=data["decision"], reason=data["reason"],
                    referred_to=data["referred_to"])
            except DomainError as exc:
                referral = data["decision"] == CaseDecision.REFERRAL and data["reason"].strip()
                status = show_refusal(decision_form, exc, {
                    **DECISION_FIELDS, "TEXT_REQUIRED": "referred_to" if referral else "reason"})
                case = selectors.case_in(campaign, case_id)  # it may have been decided meanwhile
            else:
                messages.success(request, f"案件 #{decided.pk} 已作出决定："
                                          f"{decided.get_decision_display()}")
                return redirect("office:supervision_case", case_id=case.pk)
    elif request.method == "POST":
        raise DomainError("未知的操作：请从案件页面的按钮提交", code=CoreCode.INVALID_INPUT)
    return render(request, "office/supervision_case.html", {
        "campaign": campaign, "case": case, "entries": list(case.entries.all()),
        "snapshot": case.signal_snapshot, "evidence": case.signal_snapshot.get("evidence"),
        "state_before": _state_label(case.outcome.get("merchant_state_before")),
        "state_after": _state_label(case.outcome.get("merchant_state_after")),
        "entry_form": entry_form, "decision_form": decision_form,
        "can_act": may(request.user, CASE_ROLES), "is_open": case.state == CaseState.OPEN,
    }, status=status)


def _state_label(state: str | None) -> str:
    return MerchantState(state).label if state in MerchantState.values else "—"


@require_http_methods(["GET", "HEAD"])
def case_file(request: HttpRequest, case_id: int, entry_id: int) -> FileResponse:
    """An evidence image, to the roles that see cases only; anyone else gets the same 404 as
    for a file that does not exist."""
    if not may(request.user, VIEW_ROLES):
        raise NotFound("没有这个文件")
    entry = selectors.entry_in(office.current_campaign(), case_id, entry_id)
    try:
        handle = entry.file.open("rb")
    except OSError as exc:
        raise NotFound("证据文件缺失，请联系系统管理员") from exc
    response = FileResponse(handle, content_type=entry.content_type or "image/jpeg")
    response["Content-Disposition"] = f'inline; filename="case-{case_id}-{entry.pk}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("integrity/", signals, name="supervision_signals"),
    path("integrity/signals/<id:signal_id>/", signal_detail, name="supervision_signal"),
    path("integrity/cases/", cases, name="supervision_cases"),
    path("integrity/cases/<id:case_id>/", case_detail, name="supervision_case"),
    path("integrity/cases/<id:case_id>/files/<id:entry_id>", case_file,
         name="supervision_case_file"),
]
