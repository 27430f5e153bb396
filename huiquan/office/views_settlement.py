"""Back-office pages of settlement, for finance (R-SET-1..3, R-RET-2; docs/operator.md "结算").

The runs (start one), a run's page with its payouts (approve, bank file, the bank's answer),
the bank file's download (xlsx, CSV), the clawback receivables (age, overdue, record a
repayment). Same habits as views.py: GET only reads; each POST checks the role, then calls
exactly one service; a refusal is shown in Chinese and nothing has changed; success redirects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from huiquan.campaigns.selectors import funding_sources
from huiquan.core.errors import CoreCode, DomainError, NotFound, PermissionRefused
from huiquan.core.money import MoneyFormatError, format_yuan, parse_yuan
from huiquan.core.roles import Role, require_role
from huiquan.office import selectors as office
from huiquan.office.access import may, staff_required
from huiquan.settlement import bankfiles, clawbacks, selectors, services
from huiquan.settlement.models import RunState, SettlementRun

FINANCE = frozenset({Role.FINANCE})  # who acts; everyone on staff may read
SEE_ACCOUNT = frozenset({Role.FINANCE, Role.AUDITOR})  # full bank account numbers
MAX_ANSWER_BYTES = 5 * 1024 * 1024


def _act(request: HttpRequest, title: str, run: Callable[[], str]) -> None:
    """Run one service as the finance officer; its success or its refusal becomes a message."""
    require_role(request.user, FINANCE, action=title)
    try:
        done = run()
    except PermissionRefused:
        raise
    except DomainError as exc:
        messages.error(request, f"{title}未完成：{exc.message}")
    else:
        messages.success(request, done)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def runs(request: HttpRequest) -> HttpResponse:
    campaign = office.current_campaign()
    if request.method == "POST":
        def start() -> str:
            run = services.run_settlement(campaign=campaign, actor=request.user,
                                          note=str(request.POST.get("note", ""))[:255])
            return (f"{run} 已汇总：{run.merchant_count} 户 {run.sale_count} 笔，应拨付 "
                    f"{format_yuan(run.payout_fen)} 元；请另一位财务人员审核")

        _act(request, "发起结算", start)
        return redirect("office:settlement")
    return render(request, "office/settlement_runs.html", {
        "campaign": campaign, "runs": list(selectors.runs_of(campaign)),
        "can_act": may(request.user, FINANCE),
        "receivables": selectors.open_receivables(campaign),
        "flagged": selectors.flagged_merchants(campaign),
    })


def _run_in(campaign: Any, run_id: int) -> SettlementRun:
    run = selectors.run_by_id(run_id)
    if run is None or run.campaign_id != campaign.pk:
        raise NotFound("找不到这个结算批次")
    return run


def _answer(request: HttpRequest, run: SettlementRun) -> str:
    upload = request.FILES.get("answer")
    if upload is None:
        raise DomainError("请选择银行回单文件（xlsx 或 CSV）", code=CoreCode.INVALID_INPUT)
    if upload.size and upload.size > MAX_ANSWER_BYTES:
        raise DomainError("文件过大（超过 5 MB）", code=CoreCode.FILE_INVALID)
    result = bankfiles.import_answer(run=run, name=upload.name or "answer",
                                     data=upload.read(), actor=request.user)
    return (f"银行回单（文件 {result.file.number}）已导入：到账 {result.paid} 户，退回 "
            f"{result.failed} 户" + (f"，已记录过 {result.unchanged} 户（未重复记录）"
                                    if result.unchanged else ""))


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    campaign = office.current_campaign()
    run = _run_in(campaign, run_id)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "approve":
            def approve() -> str:
                services.approve_run(run=run, actor=request.user)
                return f"{run} 已审核通过"

            _act(request, "审核结算批次", approve)
        elif action == "export":
            _act(request, "生成银行文件", lambda: (
                f"已生成银行文件 {bankfiles.export_run(run=run, actor=request.user).number}："
                "请下载后发给银行"))
        elif action == "answer":
            _act(request, "导入银行回单", lambda: _answer(request, run))
        elif action == "cancel":
            def cancel() -> str:
                services.cancel_run(run=run, actor=request.user,
                                    reason=str(request.POST.get("reason", "")))
                return f"{run} 已撤销，其核销恢复为未结算"

            _act(request, "撤销结算批次", cancel)
        else:
            raise DomainError("未知的操作：请从结算批次页面的按钮提交", code=CoreCode.INVALID_INPUT)
        return redirect("office:settlement_run", run_id=run.pk)
    files = selectors.files_of(run)
    can_act = may(request.user, FINANCE)
    names = {str(s.pk): s.name for s in funding_sources(campaign)}
    payouts = [(p, [(names.get(sid, sid), fen) for sid, fen in sorted(p.by_source.items())])
               for p in selectors.payouts_of(run)]
    return render(request, "office/settlement_run.html", {
        "campaign": campaign, "run": run, "payouts": payouts, "files": files,
        "can_act": can_act, "show_account": may(request.user, SEE_ACCOUNT),
        "can_approve": can_act and run.state == RunState.COLLECTED
        and run.created_by_id != request.user.pk,
        "can_export": can_act and (run.state == RunState.APPROVED or (
            run.state == RunState.EXPORTED and run.payouts.filter(state="failed").exists())),
        "can_cancel": can_act and run.state in (RunState.COLLECTED, RunState.APPROVED),
        "can_answer": can_act and run.state in (RunState.EXPORTED, RunState.PAID) and files,
    })


@staff_required
@require_http_methods(["GET", "HEAD"])
def run_file(request: HttpRequest, run_id: int, number: int, ext: str) -> HttpResponse:
    """A bank file as sent (no state changes): finance and auditors only (bank accounts)."""
    if not may(request.user, SEE_ACCOUNT):
        raise NotFound("没有这个文件")
    run = _run_in(office.current_campaign(), run_id)
    bank_file = selectors.bank_file(run, number)
    if bank_file is None or ext not in ("xlsx", "csv"):
        raise NotFound("没有这个文件")
    body, kind = ((bankfiles.as_xlsx(bank_file),
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                  if ext == "xlsx" else (bankfiles.as_csv(bank_file), "text/csv; charset=utf-8"))
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{bankfiles.file_name(bank_file, ext)}"'
    return response


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def receivables(request: HttpRequest) -> HttpResponse:
    campaign = office.current_campaign()
    if request.method == "POST":
        if request.POST.get("action") == "refresh":
            _act(request, "登记结算后退货", lambda: (
                f"新登记追缴 {clawbacks.refresh_receivables(campaign=campaign, actor=request.user)} 笔"))
        else:
            def repay() -> str:
                try:
                    amount = parse_yuan(str(request.POST.get("amount", "")))
                except MoneyFormatError as exc:
                    raise DomainError(str(exc), code=CoreCode.INVALID_INPUT) from None
                number = str(request.POST.get("receivable", ""))
                if not number.isascii() or not number.isdigit():
                    raise DomainError("请选择追缴记录", code=CoreCode.INVALID_INPUT)
                clawbacks.record_repayment(receivable_id=int(number), amount_fen=amount,
                                           reference=str(request.POST.get("reference", "")),
                                           actor=request.user)
                return f"已登记追缴 #{number} 还款 {format_yuan(amount)} 元"

            _act(request, "登记追缴还款", repay)
        return redirect("office:settlement_receivables")
    return render(request, "office/settlement_receivables.html", {
        "campaign": campaign, "rows": selectors.open_receivables(campaign),
        "overdue_days": selectors.overdue_days(campaign), "can_act": may(request.user, FINANCE),
    })
