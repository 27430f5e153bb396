"""Back-office pages about merchants: the review queue, one merchant's file with its actions,
the licence photo, and the dishonesty list (R-MER-1..5, R-INT-1).

Same habits as views.py: GET only reads; each POST checks the role, then calls exactly one
service; a refusal is shown on the form in Chinese with the service's status and nothing has
changed; success redirects (POST-redirect-GET).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from huiquan.core.errors import CoreCode, DomainError, NotFound
from huiquan.core.roles import require_role
from huiquan.core.tabular import read_table
from huiquan.merchants import checks, selectors
from huiquan.merchants import services as merchant_services
from huiquan.merchants.models import Merchant, MerchantState
from huiquan.office import reports
from huiquan.office import selectors as office
from huiquan.office.access import (
    BANK_ACCOUNT_ROLES,
    BLACKLIST_ROLES,
    INTEGRITY_ROLES,
    LICENCE_ROLES,
    REVIEW_ROLES,
    SUSPEND_ROLES,
    TRAINING_ROLES,
    may,
    staff_required,
)
from huiquan.office.forms import (
    ApproveForm,
    BlacklistUploadForm,
    ReasonForm,
    TrainingForm,
    show_refusal,
)

REASON_FIELDS = {"REASON_REQUIRED": "reason"}
TRAINING_FIELDS = {"TRAINEE_REQUIRED": "trainee_name", "TRAINING_MODE_INVALID": "mode",
                   "TRAINING_TIME_INVALID": "trained_at"}
UPLOAD_FIELDS = {"FILE_INVALID": "file"}
LIVE = (MerchantState.SUBMITTED, MerchantState.APPROVED, MerchantState.SUSPENDED,
        MerchantState.REJECTED)
LICENCE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}


def _reason_form(label: str, help_text: str = "") -> Callable[..., forms.Form]:
    def make(*args: Any, **kwargs: Any) -> forms.Form:
        return ReasonForm(*args, reason_label=label, reason_help=help_text, **kwargs)

    return make


@dataclass(frozen=True)
class MerchantAction:
    """One button on a merchant's page: who sees it, in which states, which service it calls."""

    name: str  # the posted "action" and the form's prefix
    title: str
    roles: frozenset[str]
    states: tuple[str, ...]
    form: Callable[..., forms.Form]
    run: Callable[[Merchant, Any, dict[str, Any]], Any]
    done: str  # "{merchant}" is filled in
    fields: dict[str, str]
    danger: bool = False


ACTIONS = {a.name: a for a in [
    MerchantAction(
        "approve", "审核通过", REVIEW_ROLES, (MerchantState.SUBMITTED,), ApproveForm,
        lambda m, actor, d: merchant_services.approve_merchant(merchant=m, actor=actor,
                                                               note=d["note"]),
        "{merchant} 审核通过", {}),
    MerchantAction(
        "reject", "驳回申请", REVIEW_ROLES, (MerchantState.SUBMITTED,),
        _reason_form("驳回原因", "必填，商户会看到，请写明需要补正的内容"),
        lambda m, actor, d: merchant_services.reject_merchant(merchant=m, actor=actor,
                                                              reason=d["reason"]),
        "已驳回 {merchant} 的申请", REASON_FIELDS, danger=True),
    MerchantAction(
        "training", "登记培训", TRAINING_ROLES, LIVE, TrainingForm,
        lambda m, actor, d: merchant_services.record_training(
            merchant=m, actor=actor, trainee_name=d["trainee_name"], mode=d["mode"],
            trained_at=d["trained_at"]),
        "已为 {merchant} 登记培训", TRAINING_FIELDS),
    MerchantAction(
        "suspend", "暂停商户", SUSPEND_ROLES, (MerchantState.APPROVED,),
        _reason_form("暂停原因", "必填；暂停后收银台立即锁定，待核查"),
        lambda m, actor, d: merchant_services.suspend_merchant(merchant=m, actor=actor,
                                                               reason=d["reason"]),
        "已暂停 {merchant}", REASON_FIELDS, danger=True),
    MerchantAction(
        "reinstate", "恢复商户", INTEGRITY_ROLES, (MerchantState.SUSPENDED,),
        _reason_form("恢复原因", "必填；未结的诚信案件随之结案"),
        lambda m, actor, d: merchant_services.reinstate_merchant(merchant=m, actor=actor,
                                                                 reason=d["reason"]),
        "已恢复 {merchant}", REASON_FIELDS),
    MerchantAction(
        "disqualify", "取消资格", INTEGRITY_ROLES, (*LIVE, MerchantState.DRAFT),
        _reason_form("取消资格原因", "必填；取消后不能恢复（发现一户取消一户）"),
        lambda m, actor, d: merchant_services.disqualify_merchant(merchant=m, actor=actor,
                                                                  reason=d["reason"]),
        "已取消 {merchant} 的参与资格", REASON_FIELDS, danger=True),
]}


@dataclass
class ActionForm:
    action: MerchantAction
    form: forms.Form


def _available(user: Any, merchant: Merchant) -> list[MerchantAction]:
    return [a for a in ACTIONS.values() if merchant.state in a.states and may(user, a.roles)]


@staff_required
@require_http_methods(["GET", "HEAD"])
def merchants(request: HttpRequest) -> HttpResponse:
    campaign = office.current_campaign()
    queue = selectors.review_queue(campaign)
    return render(request, "office/merchants.html", {
        "campaign": campaign,
        "queue": [(m, office.check_rows(m)) for m in queue],
        "merchants": selectors.all_merchants(campaign),
        "counts": office.merchant_state_counts(campaign),
        "categories": checks.eligible_categories(campaign),
        "can_review": may(request.user, REVIEW_ROLES),
    })


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def merchant_detail(request: HttpRequest, merchant_id: int) -> HttpResponse:
    campaign = office.current_campaign()
    merchant = office.merchant_in(campaign, merchant_id)
    bound: ActionForm | None = None
    status = 200
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            raise DomainError("未知的操作：请从商户页面的按钮提交", code=CoreCode.INVALID_INPUT)
        require_role(request.user, action.roles, action=action.title)
        form = action.form(request.POST, prefix=action.name)
        bound, status = ActionForm(action, form), 400
        if form.is_valid():
            try:
                action.run(merchant, request.user, form.cleaned_data)
            except DomainError as exc:
                status = show_refusal(form, exc, action.fields)
                merchant = office.merchant_in(campaign, merchant_id)  # it may have moved on
            else:
                messages.success(request, action.done.format(merchant=merchant))
                return redirect("office:merchant", merchant_id=merchant.pk)
    available = _available(request.user, merchant)
    action_forms = [bound if bound is not None and bound.action == a
                    else ActionForm(a, a.form(prefix=a.name)) for a in available]
    # A refused form whose button is gone (the state moved on) is reported above the page.
    stray = bound if bound is not None and bound.action not in available else None
    return render(request, "office/merchant.html", {
        "campaign": campaign, "merchant": merchant,
        "categories": checks.eligible_categories(campaign),
        "check_rows": office.check_rows(merchant),
        "checked_at": office.checked_at(merchant),
        "trainings": list(merchant.trainings.select_related("recorded_by")),
        "cases": list(merchant.cases.select_related("blacklist_entry")),
        "staff": list(merchant.staff.select_related("user")),
        "history": office.merchant_history(merchant),
        "action_forms": action_forms, "stray": stray,
        "show_bank_account": may(request.user, BANK_ACCOUNT_ROLES),
        "show_licence": may(request.user, LICENCE_ROLES),
    }, status=status)


@require_http_methods(["GET", "HEAD"])
def merchant_licence(request: HttpRequest, merchant_id: int) -> FileResponse:
    """The licence photo, streamed to the roles that review or supervise merchants only.

    Anyone else (other staff, merchants, anonymous visitors) gets the same 404 as for a merchant
    that does not exist: the address does not even confirm that a file is there.
    """
    if not may(request.user, LICENCE_ROLES):
        raise NotFound("没有这个文件")
    merchant = office.merchant_in(office.current_campaign(), merchant_id)
    if not merchant.licence:
        raise NotFound("该商户还没有上传营业执照照片")
    try:
        handle = merchant.licence.open("rb")
    except OSError as exc:
        raise NotFound("营业执照照片文件缺失，请联系系统管理员") from exc
    extension = merchant.licence.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(handle, content_type=LICENCE_TYPES.get(extension, "image/jpeg"))
    response["Content-Disposition"] = f'inline; filename="licence-{merchant.pk}.{extension}"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def blacklist(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        require_role(request.user, BLACKLIST_ROLES, action="导入失信名单")
        form = BlacklistUploadForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = read_table(name=upload.name, data=upload.read(),
                                  columns=merchant_services.BLACKLIST_COLUMNS,
                                  required=("uscc", "name", "listed_on"))
                report = merchant_services.import_blacklist(
                    rows=rows, actor=request.user,
                    default_source=form.cleaned_data["default_source"])
            except DomainError as exc:
                status = show_refusal(form, exc, UPLOAD_FIELDS)
            else:
                reports.keep(request, reports.BLACKLIST_KEY,
                             reports.blacklist_summary(report, upload.name))
                messages.success(request, f"已导入 {upload.name}：新增 {report.added} 条，"
                                          f"命中 {len(report.hits)} 户")
                return redirect("office:blacklist")
    else:
        form = BlacklistUploadForm()
    return render(request, "office/blacklist.html", {
        "campaign": office.current_campaign(),
        "form": form,
        "report": reports.take(request, reports.BLACKLIST_KEY) if status == 200 else None,
        "entries": selectors.blacklist(),
        "cases": selectors.open_cases(),
        "can_import": may(request.user, BLACKLIST_ROLES),
    }, status=status)
