"""The catalogue page of the back office (R-CAT-1..5): versions, kinds, the appliance register.

Everyone on the staff reads it; only the bureau changes it, and every change is one numbered
version made by one service (import_products, set_kind_active, set_product_listed). Same
habits as views.py: role first, one service per POST, refusals in Chinese on the form,
POST-redirect-GET.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from huiquan.campaigns.models import Campaign
from huiquan.catalog import selectors, services
from huiquan.core import identifiers
from huiquan.core.errors import CoreCode, DomainError
from huiquan.core.roles import require_role
from huiquan.core.tabular import read_table
from huiquan.office import reports
from huiquan.office import selectors as office
from huiquan.office.access import CATALOG_ROLES, may, staff_required
from huiquan.office.forms import (
    KindSwitchForm,
    ProductSwitchForm,
    TableUploadForm,
    show_refusal,
)

PRODUCTS_PAGE_SIZE = 50
SWITCH_FIELDS = {"CATALOG_INVALID": "reason"}  # the services' only field error: no reason
UPLOAD_FIELDS = {"FILE_INVALID": "file"}
REQUIRED_COLUMNS = ("gtin", "brand", "model", "kind", "grade")


def _import(request: HttpRequest, campaign: Campaign, form: forms.Form) -> int | str:
    """The status of a refused import, or the success message."""
    upload = form.cleaned_data["file"]
    try:
        rows = read_table(name=upload.name, data=upload.read(), columns=services.PRODUCT_COLUMNS,
                          required=REQUIRED_COLUMNS)
        report = services.import_products(campaign=campaign, rows=rows, actor=request.user,
                                          source=upload.name)
    except DomainError as exc:
        return show_refusal(form, exc, UPLOAD_FIELDS)
    reports.keep(request, reports.CATALOG_KEY, reports.catalog_summary(report, upload.name))
    if report.version is None:
        return f"已导入 {upload.name}：目录没有变化，未生成新版本"
    return f"已导入 {upload.name}：生成目录第 {report.version.number} 版"


def _switch_kind(request: HttpRequest, form: forms.Form) -> int | str:
    kind, on = form.cleaned_data["kind"], form.cleaned_data["on"]
    try:
        version = services.set_kind_active(kind=kind, active=on,
                                           reason=form.cleaned_data["reason"], actor=request.user)
    except DomainError as exc:
        return show_refusal(form, exc, SWITCH_FIELDS)
    return f"已{'恢复' if on else '暂停'}品类 {kind}：生成{version}"


def _switch_product(request: HttpRequest, form: forms.Form) -> int | str:
    product, on = form.cleaned_data["product"], form.cleaned_data["on"]
    try:
        version = services.set_product_listed(product=product, listed=on,
                                              reason=form.cleaned_data["reason"],
                                              actor=request.user)
    except DomainError as exc:
        return show_refusal(form, exc, SWITCH_FIELDS)
    return f"已{'恢复' if on else '移出'} {product}：生成{version}"


def _bound_row(form: forms.Form | None, name: str) -> int | None:
    """The row (kind or product id) whose inline form was refused, to show its errors there."""
    if form is None:
        return None
    try:
        return int(form.data.get(name, ""))
    except ValueError:
        return None


SEARCH_MAX = 64  # characters, after NFKC


def _search_words(typed: str) -> tuple[str, str | None]:
    """The catalogue search as typed on phones (fullwidth Ｍ or ６ read as M and 6), or a message
    when it is longer than ``SEARCH_MAX`` once normalised (F8: never cut in the middle)."""
    try:
        return identifiers.nfkc_within(typed, SEARCH_MAX, DomainError), None
    except DomainError:
        return identifiers.nfkc(typed)[:SEARCH_MAX], f"搜索词太长：最多 {SEARCH_MAX} 个字符，请缩短后再搜索"


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def catalog(request: HttpRequest) -> HttpResponse:
    campaign = office.current_campaign()
    import_form: forms.Form | None = None
    kind_form: forms.Form | None = None
    product_form: forms.Form | None = None
    status = 200
    if request.method == "POST":
        require_role(request.user, CATALOG_ROLES, action="修改商品目录")
        action = request.POST.get("action", "")
        outcome: int | str
        form: forms.Form
        if action == "import":
            import_form = form = TableUploadForm(request.POST, request.FILES)
            outcome = _import(request, campaign, form) if form.is_valid() else 400
            anchor = "import"
        elif action == "kind":
            kind_form = form = KindSwitchForm(request.POST, kinds=office.campaign_kinds(campaign))
            outcome = _switch_kind(request, form) if form.is_valid() else 400
            anchor = "kinds"
        elif action == "product":
            product_form = form = ProductSwitchForm(
                request.POST, products=office.campaign_products(campaign))
            outcome = _switch_product(request, form) if form.is_valid() else 400
            anchor = "products"
        else:
            raise DomainError("未知的操作：请从目录页面的按钮提交", code=CoreCode.INVALID_INPUT)
        if isinstance(outcome, str):
            messages.success(request, outcome)
            return redirect(reverse("office:catalog") + f"#{anchor}")
        status = outcome
    query, query_error = _search_words(request.GET.get("q", ""))
    found = office.campaign_products(campaign, query)
    if query_error is not None:
        found = found.none()
    page = Paginator(found, PRODUCTS_PAGE_SIZE).get_page(request.GET.get("page"))
    kinds = selectors.kinds_of(campaign)
    return render(request, "office/catalog.html", {
        "campaign": campaign,
        "version": selectors.current_version(campaign),
        "versions": selectors.versions(campaign),
        "categories": office.kinds_by_category(kinds),
        "active_kinds": sum(1 for k in kinds if k.active),
        "kind_count": len(kinds),
        "listed_count": office.campaign_products(campaign).filter(listed=True).count(),
        "page": page, "query": query, "query_error": query_error,
        "import_form": import_form or TableUploadForm(),
        "switch_forms": [f for f in (kind_form, product_form) if f is not None],
        "kind_form": kind_form, "kind_row": _bound_row(kind_form, "kind"),
        "product_form": product_form, "product_row": _bound_row(product_form, "product"),
        "report": reports.take(request, reports.CATALOG_KEY) if status == 200 else None,
        "can_change": may(request.user, CATALOG_ROLES),
    }, status=status)
