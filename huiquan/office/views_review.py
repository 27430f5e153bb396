"""The review queue of claim documents (/office/review/, R-DOC-2): the list with its filters,
and one submission with the sale, the documents and every automatic check side by side.

Reviewers decide (approve, reject with a reason, ask for a correction; four-eyes above the
campaign's amount); auditors and the bureau read. GET only reads; each POST checks the role and
calls exactly one service; a refusal is shown in Chinese and nothing has changed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from huiquan.core.errors import DomainError
from huiquan.core.roles import require_role
from huiquan.merchants import selectors as merchant_selectors
from huiquan.office import selectors as office
from huiquan.office.access import may, staff_required
from huiquan.redemptions.verification_reads import sale_for_documents
from huiquan.verification import selectors, services
from huiquan.verification.checks import RULES, readable
from huiquan.verification.models import DocumentKind, SubmissionState

REVIEW_ROLES = frozenset(services.REVIEW_ROLES)
AGES = [("", "不限"), ("1", "1 天以上"), ("3", "3 天以上"), ("7", "7 天以上"), ("14", "14 天以上")]


class QueueForm(forms.Form):
    merchant = forms.TypedChoiceField(label="商户", required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(label="状态", required=False,
                              choices=[("", "待审核（含复核）"), *(
                                  c for c in SubmissionState.choices if c[0] != "draft")])
    failing = forms.ChoiceField(label="不通过的核验项", required=False,
                                choices=[("", "不限"), *RULES.items()])
    age = forms.ChoiceField(label="提交时长", required=False, choices=AGES)

    def __init__(self, *args: Any, merchants: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["merchant"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "全部商户"), *((m.pk, m.legal_name) for m in merchants)]


@staff_required
@require_http_methods(["GET", "HEAD"])
def review_queue(request: HttpRequest) -> HttpResponse:
    campaign = office.current_campaign()
    form = QueueForm(request.GET or None,
                     merchants=merchant_selectors.all_merchants(campaign))
    filters = selectors.QueueFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.QueueFilter(
            merchant_id=data.get("merchant"), state=data.get("state") or None,
            failing_rule=data.get("failing") or None,
            older_than_days=int(data["age"]) if data.get("age") else None)
    rows = selectors.review_queue(campaign, filters)
    return render(request, "office/review_queue.html", {
        "campaign": campaign, "form": form, "rows": rows, "filtered": bool(request.GET),
        "rules": RULES, "can_review": may(request.user, REVIEW_ROLES)})


def _version(text: object) -> int:
    value = str(text or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else -1


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因（商户会看到）", max_length=255, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = selectors.submission_by_id(submission_id)
    status = 200
    if request.method == "POST":
        require_role(request.user, REVIEW_ROLES, action="审核报备资料")
        action = request.POST.get("action", "")
        reason = request.POST.get("reason", "")
        # The state and version the page showed (its forms always send them).
        seen = ((request.POST["state"], _version(request.POST.get("version")))
                if "state" in request.POST else None)
        try:
            if action == "approve":
                services.approve_submission(actor=request.user, submission_id=submission.pk,
                                            seen=seen)
            elif action == "reject":
                services.reject_submission(actor=request.user, submission_id=submission.pk,
                                           reason=reason, seen=seen)
            elif action == "correction":
                services.ask_correction(actor=request.user, submission_id=submission.pk,
                                        reason=reason, seen=seen)
            else:
                raise DomainError("未知的操作：请从审核页面的按钮提交")
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            submission.refresh_from_db()
            messages.success(request, f"已处理：报备 #{submission.pk} 现在是「"
                                      f"{submission.get_state_display()}」")
            return redirect("office:review", submission_id=submission.pk)
    sale = sale_for_documents(submission.redemption_id)
    documents = selectors.documents_of(submission)
    groups = [{"label": kind.label, "documents": [d for d in documents if d.kind == kind]}
              for kind in DocumentKind]
    checks = selectors.checks_of(submission)
    return render(request, "office/review.html", {
        "campaign": submission.campaign, "submission": submission, "sale": sale,
        "lines": list(sale.lines.all()), "groups": groups, "checks": checks,
        "rows": [readable(c) for c in checks], "decisions": selectors.decisions_of(submission),
        "four_eyes_fen": services.four_eyes_above_fen(submission.campaign),
        "needs_second": sale.subsidy_fen > services.four_eyes_above_fen(submission.campaign),
        "can_review": may(request.user, REVIEW_ROLES)
        and submission.state in (SubmissionState.IN_REVIEW, SubmissionState.SECOND_REVIEW),
        "failing": [c for c in checks if c.outcome == "fail"],
        "reason_form": ReasonForm(),
    }, status=status)
