"""`huiquan settlement run|approve|export|import-answer|cancel|list|repay` and `huiquan closeout`:
finance's settlement steps from the server's command line (docs/operator.md, "结算").

The writes are the services of huiquan.settlement (one transaction, an audit entry each); this
module only parses, prints, writes the bank file to disk and turns a refusal into one line on
stderr (exit status 2). ``--as`` names the finance officer (in demo mode: the demo account).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any


class _Refused(Exception):
    pass


def _context(args: argparse.Namespace, default_actor: str = "finance") -> tuple[Any, Any]:
    from huiquan.cli import _actor, _campaign, _setup

    _setup()
    try:
        if not hasattr(args, "actor"):  # a read: nobody acts
            return _campaign(args.slug), None
        return _campaign(args.slug), _actor(args.actor, default_actor)
    except LookupError as exc:
        raise _Refused(str(exc)) from None


def _run(campaign: Any, number: int) -> Any:
    from huiquan.settlement.selectors import run_by_number

    run = run_by_number(campaign, number)
    if run is None:
        raise _Refused(f"找不到结算第 {number} 批（huiquan settlement list 列出全部）")
    return run


def _refusals(command: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    def run(args: argparse.Namespace) -> int:
        from huiquan.cli import _fail

        try:
            return command(args)
        except _Refused as exc:
            return _fail(str(exc))
        except Exception as exc:
            from huiquan.core.errors import DomainError

            if isinstance(exc, DomainError):
                return _fail(f"{exc.message}（{exc.code}）")
            raise

    return run


def _show(run: Any) -> None:
    from huiquan.core.money import format_yuan

    print(f"结算第 {run.number} 批（编号 {run.pk}）：{run.get_state_display()}；{run.merchant_count} 户 "
          f"{run.sale_count} 笔，补贴 {format_yuan(run.gross_fen)} 元，抵扣追缴 "
          f"{format_yuan(run.netted_fen)} 元，应拨付 {format_yuan(run.payout_fen)} 元")


@_refusals
def cmd_run(args: argparse.Namespace) -> int:
    from huiquan.settlement.services import run_settlement

    campaign, actor = _context(args)
    _show(run_settlement(campaign=campaign, actor=actor, note=args.note or ""))
    return 0


@_refusals
def cmd_approve(args: argparse.Namespace) -> int:
    from huiquan.settlement.services import approve_run

    campaign, actor = _context(args, "finance2")
    run = _run(campaign, args.number)
    approve_run(run=run, actor=actor)
    _show(run)
    return 0


def _write(bank_file: Any, out: Path) -> list[Path]:
    from huiquan.settlement import bankfiles

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for ext, render in (("xlsx", bankfiles.as_xlsx), ("csv", bankfiles.as_csv)):
        path = out / bankfiles.file_name(bank_file, ext)
        path.write_bytes(render(bank_file))
        written.append(path)
    return written


@_refusals
def cmd_export(args: argparse.Namespace) -> int:
    from huiquan.core.money import format_yuan
    from huiquan.settlement import bankfiles, selectors

    campaign, actor = _context(args)
    run = _run(campaign, args.number)
    if args.file:  # the same file again (already sent): nothing changes
        bank_file = selectors.bank_file(run, args.file)
        if bank_file is None:
            raise _Refused(f"结算第 {run.number} 批没有第 {args.file} 号文件")
    else:
        bank_file = bankfiles.export_run(run=run, actor=actor)
    for path in _write(bank_file, Path(args.out)):
        print(path)
    print(f"文件 {bank_file.number}：{len(bank_file.payout_ids)} 户，合计 "
          f"{format_yuan(bank_file.total_fen)} 元，校验码 {bank_file.checksum[:16]}…")
    return 0


@_refusals
def cmd_import_answer(args: argparse.Namespace) -> int:
    from huiquan.settlement.bankfiles import import_answer

    campaign, actor = _context(args)
    run = _run(campaign, args.number)
    path = Path(args.path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Refused(f"无法读取 {path}：{exc.strerror}") from None
    result = import_answer(run=run, name=path.name, data=data, actor=actor)
    run.refresh_from_db()
    print(f"银行回单（文件 {result.file.number}）：到账 {result.paid} 户，退回 {result.failed} 户，"
          f"已记录过 {result.unchanged} 户")
    _show(run)
    return 0


@_refusals
def cmd_cancel(args: argparse.Namespace) -> int:
    from huiquan.settlement.services import cancel_run

    campaign, actor = _context(args)
    run = _run(campaign, args.number)
    cancel_run(run=run, actor=actor, reason=args.reason)
    _show(run)
    return 0


@_refusals
def cmd_list(args: argparse.Namespace) -> int:
    from huiquan.core.money import format_yuan
    from huiquan.settlement import selectors

    campaign, _ = _context(args)
    runs = list(selectors.runs_of(campaign))
    if not runs:
        print("还没有结算批次")
    for run in runs:
        _show(run)
    rows = selectors.open_receivables(campaign)
    if rows:
        print(f"未收回的追缴（超过 {selectors.overdue_days(campaign)} 天标记「逾期」）：")
    for row in rows:
        r = row.receivable
        print(f"  #{r.pk} {r.merchant.legal_name} 核销 #{r.redemption_id} 未收回 "
              f"{format_yuan(r.open_fen)} 元，{row.age_days} 天" + ("  逾期" if row.overdue else ""))
    return 0


@_refusals
def cmd_repay(args: argparse.Namespace) -> int:
    from huiquan.core.money import MoneyFormatError, format_yuan, parse_yuan
    from huiquan.settlement.clawbacks import record_repayment

    _, actor = _context(args)
    try:
        amount = parse_yuan(args.amount)
    except MoneyFormatError as exc:
        raise _Refused(str(exc)) from None
    recovery = record_repayment(receivable_id=args.receivable, amount_fen=amount,
                                reference=args.reference, actor=actor)
    print(f"已登记追缴 #{args.receivable} 还款 {format_yuan(recovery.amount_fen)} 元")
    return 0


@_refusals
def cmd_closeout(args: argparse.Namespace) -> int:
    from huiquan.core.money import format_yuan
    from huiquan.reconcile import reconcile
    from huiquan.settlement.closeout import close_out, report

    campaign, actor = _context(args)
    closing = close_out(campaign=campaign, actor=actor)
    print(f"活动清算：{campaign.name}")
    for s in closing.report["sources"]:
        print(f"  {s['source']}：到位 {format_yuan(s['received'])}，已结算给商户 "
              f"{format_yuan(s['paid_out'])}，追缴未收回 {format_yuan(s['receivable'])}，应付商户 "
              f"{format_yuan(s['payable'])}，本次退回 "
              f"{format_yuan(int(closing.returned_by_source.get(str(s['source_id']), 0)))}，"
              f"累计退回 {format_yuan(s['treasury'])}")
    rec = reconcile(campaign)
    print(rec.table())
    same = closing.report == report(campaign)
    print("清算报告与账本一致" if same else "清算报告与账本不一致")
    return 0 if rec.ok and same and closing.report["balanced"] else 1


def register(sub: Any) -> None:
    """Add the commands to the ``huiquan`` parser (huiquan.cli)."""
    s = sub.add_parser("settlement", help="结算：汇总、审核、银行文件、银行回单、追缴"
                       ).add_subparsers(dest="sub", required=True)

    def command(name: str, func: Callable[..., int], help_text: str,
                actor: bool = True) -> argparse.ArgumentParser:
        p = s.add_parser(name, help=help_text)
        p.add_argument("--slug", help="活动标识（默认：最新的活动）")
        if actor:
            p.add_argument("--as", dest="actor", help="执行人（财务人员的后台用户名）")
        p.set_defaults(func=func)
        return p

    p = command("run", cmd_run, "汇总已审核未结算的核销，生成结算批次（同一活动同时只能有一个）")
    p.add_argument("--note", help="说明，如「第 3 周」")
    p = command("approve", cmd_approve, "财务审核结算批次（须由汇总人以外的另一位财务人员）")
    p.add_argument("number", type=int, help="结算批次号")
    p = command("export", cmd_export, "生成银行拨付文件（xlsx 与 CSV）；再次运行则重发银行退回的拨付")
    p.add_argument("number", type=int, help="结算批次号")
    p.add_argument("--file", type=int, help="重新下载已生成的第 N 号文件（不改变任何状态）")
    p.add_argument("--out", default=".", help="写入的目录（默认：当前目录）")
    p = command("import-answer", cmd_import_answer, "导入银行回单（在导出的文件后填「结果」等列）")
    p.add_argument("number", type=int, help="结算批次号")
    p.add_argument("path", help="回单文件（xlsx 或 CSV）")
    p = command("cancel", cmd_cancel, "撤销出银行文件前的结算批次（其核销恢复为未结算）")
    p.add_argument("number", type=int, help="结算批次号")
    p.add_argument("--reason", required=True, help="撤销原因")
    command("list", cmd_list, "列出结算批次和未收回的追缴", actor=False)
    p = command("repay", cmd_repay, "登记商户转账退回的追缴款")
    p.add_argument("receivable", type=int, help="追缴编号")
    p.add_argument("amount", help="金额（元）")
    p.add_argument("reference", help="转账流水号")

    p = sub.add_parser("closeout", help="活动清算：未使用资金按来源退回，打印清算报告与对账")
    p.add_argument("--slug", help="活动标识（默认：最新的活动）")
    p.add_argument("--as", dest="actor", help="执行人（财务人员的后台用户名）")
    p.set_defaults(func=cmd_closeout)
