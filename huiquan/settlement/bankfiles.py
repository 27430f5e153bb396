"""The payout file for the bank (xlsx and CSV) and the bank's answer (R-SET-3).

A ``BankFile`` fixes which payouts were sent, their total and a checksum: an HMAC (the
server's secret) over each line's payout id, USCC, bank account, amount in fen and number of
sales. The file carries the checksum in its last row. The bank sends the same file back with
two more columns (结果: 成功/失败, 银行流水号 or 失败原因); an answer whose lines differ from what
was sent — an amount changed by hand, a line added, removed or repeated, another file's
checksum — is refused with what is wrong, and nothing is recorded.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from huiquan.audit.services import record
from huiquan.core import clock, faults
from huiquan.core.identifiers import nfkc
from huiquan.core.money import MoneyFormatError, format_yuan, parse_yuan
from huiquan.core.roles import require_role
from huiquan.core.tabular import read_table
from huiquan.settlement.clawbacks import FINANCE_ROLES
from huiquan.settlement.errors import SettlementCode, SettlementError
from huiquan.settlement.models import BankFile, Payout, PayoutState, RunState, SettlementRun
from huiquan.settlement.services import _move

HEADERS = ["付款编号", "结算批次", "文件序号", "商户名称", "统一社会信用代码", "开户银行", "账户名称",
           "结算账号", "金额(元)", "笔数"]
ANSWER_HEADERS = ["结果", "银行流水号", "失败原因"]
CHECKSUM_LABEL = "校验码"
COLUMNS = {
    "payout": ("付款编号", "payout_id"), "run": ("结算批次", "run_id"),
    "file": ("文件序号", "file_number"), "name": ("商户名称", "merchant"),
    "uscc": ("统一社会信用代码", "uscc"), "bank": ("开户银行", "bank_name"),
    "account_name": ("账户名称", "account_name"), "account": ("结算账号", "bank_account"),
    "amount": ("金额(元)", "金额（元）", "金额", "amount"), "count": ("笔数", "sales"),
    "result": ("结果", "result"), "reference": ("银行流水号", "reference"),
    "reason": ("失败原因", "reason"),
}


def _digest(run_id: int, number: int, lines: list[tuple[int, str, str, int, int]]) -> str:
    text = f"{run_id}|{number}\n" + "\n".join("|".join(map(str, line)) for line in lines)
    key = hashlib.sha256(f"bank-file:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _line(p: Payout) -> tuple[int, str, str, int, int]:
    return (p.pk, p.uscc, p.bank_account, p.amount_fen, p.sale_count)


def export_run(*, run: SettlementRun, actor: Any) -> BankFile:
    """The next bank file of an approved run: every payout to pay; on an exported run, the
    payouts the bank sent back (failed), to be sent again."""
    bank_file = _export(run=run, actor=actor)
    faults.crash_point("settlement.exported")
    return bank_file


@transaction.atomic(durable=True)
def _export(*, run: SettlementRun, actor: Any) -> BankFile:
    require_role(actor, FINANCE_ROLES, action="生成银行拨付文件")
    now = clock.now()
    run.refresh_from_db()
    if run.state == RunState.APPROVED:
        _move(run, source=RunState.APPROVED, to=RunState.EXPORTED, exported_at=now)
        wanted = PayoutState.PENDING
    elif run.state == RunState.EXPORTED:
        wanted = PayoutState.FAILED
    else:
        raise SettlementError(f"{run} 当前状态为「{run.get_state_display()}」：须先经财务审核"
                              "才能出银行文件", code=SettlementCode.SETTLEMENT_STATE)
    payouts = list(run.payouts.select_for_update().filter(state=wanted).order_by("pk"))
    if not payouts and wanted == PayoutState.FAILED:
        raise SettlementError(f"{run} 没有需要重发给银行的拨付（银行未退回任何一笔）",
                              code=SettlementCode.SETTLEMENT_STATE)
    number = run.files.count() + 1
    lines = [_line(p) for p in payouts]
    bank_file = BankFile.objects.create(
        run=run, number=number, created_at=now, created_by=actor,
        payout_ids=[p.pk for p in payouts], total_fen=sum(p.amount_fen for p in payouts),
        checksum=_digest(run.pk, number, lines))
    Payout.objects.filter(pk__in=[p.pk for p in payouts]).update(
        state=PayoutState.SENT, failure_reason="")
    if not payouts:  # every payout netted to nothing: an empty file, and the run is done
        _close(run, now)
    record(actor=actor, action="settlement.export", obj_type="settlement_run", obj_id=run.pk,
           summary=f"{run} 银行拨付文件 {number}：{len(payouts)} 户，合计 "
                   f"{format_yuan(bank_file.total_fen)} 元" + ("（重发银行退回的拨付）"
                                                           if number > 1 else ""),
           after={"file": number, "payouts": bank_file.payout_ids,
                  "total_fen": bank_file.total_fen, "checksum": bank_file.checksum})
    return bank_file


def _close(run: SettlementRun, now: Any) -> None:
    _move(run, source=RunState.EXPORTED, to=RunState.PAID, closed_at=now)


# --- the file ------------------------------------------------------------------------------------


def rows(bank_file: BankFile) -> list[list[str]]:
    """The file's rows: the header, one row per payout, the checksum row."""
    run = bank_file.run
    payouts = {p.pk: p for p in Payout.objects.filter(pk__in=bank_file.payout_ids)}
    out = [list(HEADERS)]
    for pk in bank_file.payout_ids:
        p = payouts[pk]
        out.append([str(p.pk), str(run.pk), str(bank_file.number), p.legal_name, p.uscc,
                    p.bank_name, p.bank_account_name, p.bank_account,
                    format_yuan(p.amount_fen).replace(",", ""), str(p.sale_count)])
    out.append([CHECKSUM_LABEL, str(run.pk), str(bank_file.number), bank_file.checksum,
                "", "", "", "", format_yuan(bank_file.total_fen).replace(",", ""),
                str(len(bank_file.payout_ids))])
    return out


def as_csv(bank_file: BankFile) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerows(rows(bank_file))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # the BOM: Excel in China opens it right


def as_xlsx(bank_file: BankFile) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"结算{bank_file.run.number}-{bank_file.number}"
    for row in rows(bank_file):
        sheet.append(row)  # all text: an account number never becomes 6.2E+15
    for column, width in zip("ABCDEFGHIJ", (10, 10, 10, 28, 22, 24, 28, 24, 14, 8), strict=True):
        sheet.column_dimensions[column].width = width
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def file_name(bank_file: BankFile, ext: str) -> str:
    return f"settlement-{bank_file.run.campaign_id}-{bank_file.run.number}-{bank_file.number}.{ext}"


# --- the answer ----------------------------------------------------------------------------------

PAID_WORDS = {"成功", "已支付", "已到账", "paid", "success", "ok"}
FAILED_WORDS = {"失败", "退回", "failed", "fail", "rejected"}


@dataclass
class AnswerResult:
    file: BankFile
    paid: int = 0
    failed: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def _refuse(problems: list[str]) -> SettlementError:
    shown = "；".join(problems[:10]) + (f"；等共 {len(problems)} 处" if len(problems) > 10 else "")
    return SettlementError(f"银行回单与所发文件不符，未做任何记录：{shown}",
                           code=SettlementCode.BANK_FILE_INVALID, status=422)


def _whole(text: str) -> int | None:
    text = nfkc(text)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def _parse(run: SettlementRun, name: str, data: bytes) -> tuple[BankFile, list[Any], str]:
    table = read_table(name=name, data=data, columns=COLUMNS,
                       required=("payout", "run", "file", "amount", "result"))
    checksum_rows = [r for r in table if nfkc(r.values.get("payout")) == CHECKSUM_LABEL]
    body = [r for r in table if nfkc(r.values.get("payout")) != CHECKSUM_LABEL]
    if len(checksum_rows) != 1:
        raise _refuse(["文件最后一行应是「校验码」行（请用本系统导出的文件回填结果）"])
    tail = checksum_rows[0].values
    if _whole(tail.get("run", "")) != run.pk:
        raise _refuse([f"这是另一个结算批次的文件（批次 {nfkc(tail.get('run'))}，应为 {run.pk}）"])
    number = _whole(tail.get("file", ""))
    bank_file = run.files.filter(number=number).first() if number else None
    if bank_file is None:
        raise _refuse([f"{run} 没有第 {nfkc(tail.get('file'))} 号文件"])
    return bank_file, body, nfkc(tail.get("name"))


def _check(bank_file: BankFile, body: list[Any], checksum: str) -> list[tuple[Payout, Any]]:
    sent = {p.pk: p for p in Payout.objects.filter(pk__in=bank_file.payout_ids)}
    problems: list[str] = []
    seen: dict[int, int] = {}
    matched: list[tuple[Payout, Any]] = []
    for row in body:
        v = row.values
        pk = _whole(v.get("payout", ""))
        where = f"第 {row.number} 行"
        if pk is None or pk not in sent:
            problems.append(f"{where}：付款编号「{nfkc(v.get('payout'))}」不在所发文件中")
            continue
        if pk in seen:
            problems.append(f"{where}：付款编号 {pk} 重复（第 {seen[pk]} 行已有）")
            continue
        seen[pk] = row.number
        payout = sent[pk]
        if _whole(v.get("run", "")) != bank_file.run_id or _whole(v.get("file", "")) != bank_file.number:
            problems.append(f"{where}：结算批次或文件序号被改动")
        try:
            amount = parse_yuan(nfkc(v.get("amount")), allow_zero=True)
        except MoneyFormatError:
            amount = None
        if amount != payout.amount_fen:
            problems.append(f"{where}：金额「{nfkc(v.get('amount'))}」与所发 "
                            f"{format_yuan(payout.amount_fen)} 元不符")
        if "account" in v and nfkc(v["account"]) != payout.bank_account:
            problems.append(f"{where}：结算账号被改动")
        if "uscc" in v and nfkc(v["uscc"]).upper() != payout.uscc:
            problems.append(f"{where}：统一社会信用代码被改动")
        if "count" in v and _whole(v["count"]) != payout.sale_count:
            problems.append(f"{where}：笔数被改动")
        result = nfkc(v.get("result")).lower()
        if result not in PAID_WORDS and result not in FAILED_WORDS:
            problems.append(f"{where}：结果应填「成功」或「失败」，不是「{nfkc(v.get('result'))}」")
        matched.append((payout, v))
    missing = [pk for pk in bank_file.payout_ids if pk not in seen]
    if missing:
        problems.append(f"文件少了 {len(missing)} 行（付款编号 {missing[:5]}）")
    if not problems and checksum != bank_file.checksum:
        problems.append("校验码与所发文件不符")
    if problems:
        raise _refuse(problems)
    return matched


def import_answer(*, run: SettlementRun, name: str, data: bytes, actor: Any) -> AnswerResult:
    """Record the bank's answer: each payout paid or failed. The same answer twice records
    nothing twice; a paid payout answered "failed" is refused (PAYOUT_ALREADY_PAID)."""
    result = _import(run=run, name=name, data=data, actor=actor)
    faults.crash_point("settlement.answered")
    return result


@transaction.atomic(durable=True)
def _import(*, run: SettlementRun, name: str, data: bytes, actor: Any) -> AnswerResult:
    require_role(actor, FINANCE_ROLES, action="导入银行回单")
    run = SettlementRun.objects.select_for_update().get(pk=run.pk)
    if run.state not in (RunState.EXPORTED, RunState.PAID):
        raise SettlementError(f"{run} 还没有出银行文件", code=SettlementCode.SETTLEMENT_STATE)
    bank_file, body, checksum = _parse(run, name, data)
    matched = _check(bank_file, body, checksum)
    now = clock.now()
    out = AnswerResult(file=bank_file)
    latest = {pk: f.number for f in run.files.order_by("number") for pk in f.payout_ids}
    for payout, v in sorted(matched, key=lambda pv: pv[0].pk):
        paid = nfkc(v.get("result")).lower() in PAID_WORDS
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.state == PayoutState.PAID:
            if not paid:
                raise SettlementError(f"付款编号 {payout.pk}（{payout.legal_name}）已确认到账，"
                                      "回单却写失败：未做任何记录，请与银行核实",
                                      code=SettlementCode.PAYOUT_ALREADY_PAID)
            out.unchanged += 1
            continue
        if latest[payout.pk] != bank_file.number or (
                payout.state == PayoutState.FAILED and not paid):
            out.unchanged += 1  # answered already, or sent again in a later file
            continue
        payout.state = PayoutState.PAID if paid else PayoutState.FAILED
        payout.answered_at = now
        if paid:
            payout.bank_reference = nfkc(v.get("reference"))[:64]
            out.paid += 1
        else:
            payout.failure_reason = (nfkc(v.get("reason")) or "银行退回")[:255]
            out.failed += 1
        payout.save(update_fields=["state", "answered_at", "bank_reference", "failure_reason"])
    faults.crash_point("settlement.answer_applied")
    if run.state == RunState.EXPORTED and not run.payouts.exclude(
            state__in=(PayoutState.PAID, PayoutState.CANCELLED)).exists():
        _close(run, now)
    if out.paid or out.failed:
        record(actor=actor, action="settlement.answer", obj_type="settlement_run", obj_id=run.pk,
               summary=f"{run} 银行回单（文件 {bank_file.number}）：到账 {out.paid} 户，"
                       f"退回 {out.failed} 户，已记录过 {out.unchanged} 户",
               after={"file": bank_file.number, "paid": out.paid, "failed": out.failed})
    return out
