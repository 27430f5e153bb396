"""The ``huiquan`` command. Every subcommand works on the database DATABASE_URL names."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiquan.settings")
    import django
    from django.apps import apps

    if not apps.ready:  # once per process: the worker runs tick every minute
        django.setup()


def _fail(message: str, code: int = 2) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return code


# --- serve --------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    if args.clock:
        if os.environ.get("HUIQUAN_MODE", "demo") == "production":
            return _fail("--clock 只能在演示/沙箱模式下使用（HUIQUAN_MODE=production 时拒绝）")
        from huiquan.core.clock import parse_instant

        try:
            os.environ["HUIQUAN_CLOCK_START"] = parse_instant(args.clock).isoformat()
        except ValueError:
            return _fail(f"--clock 需要 ISO 8601 时间，例如 2024-06-21T09:59:00+08:00，收到 {args.clock!r}")
        os.environ["HUIQUAN_CLOCK_ANCHOR"] = repr(time.time())
        from huiquan.core.clock import demo_clock_file

        demo_clock_file().parent.mkdir(parents=True, exist_ok=True)
        demo_clock_file().write_text(json.dumps({"start": os.environ["HUIQUAN_CLOCK_START"],
                                                 "anchor": os.environ["HUIQUAN_CLOCK_ANCHOR"]}))
    else:
        from huiquan.core.clock import demo_clock_file

        demo_clock_file().unlink(missing_ok=True)
    if args.demo:
        os.environ.setdefault("HUIQUAN_MODE", "demo")
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from huiquan.campaigns.models import Campaign

    if not Campaign.objects.exists():
        from huiquan.catalog.services import load_campaign_file as load_campaign

        result = load_campaign(path=Path(settings.HUIQUAN_DEFAULT_CAMPAIGN))
        print(f"已载入活动：{result.campaign.name}")
    url = f"http://{args.host}:{args.port}/"
    print(f"\n惠券 huiquan 已启动：活动页 {url}  后台 {url}office/  （模式：{settings.HUIQUAN_MODE}）")
    if os.environ.get("HUIQUAN_CLOCK_START"):
        print(f"演示时钟从 {os.environ['HUIQUAN_CLOCK_START']} 开始走")
    if args.demo:
        from huiquan.demo import ensure_demo_world

        print("演示账号（角色 / 用户名 / 密码）：")
        for acc in ensure_demo_world():
            print(f"  {acc.display_name:<12} {acc.username:<10} {acc.password}")
        print(f"商户收银台：{url}merchant/ （演示商户手机号见 `huiquan demo accounts`，验证码在页面提示中）")
    if not args.no_worker:
        _start_worker()
    print(flush=True)
    workers = str(args.workers or max(2, (os.cpu_count() or 1) * 2))
    argv = [
        sys.executable, "-m", "gunicorn", "huiquan.wsgi:application",
        "--bind", f"{args.host}:{args.port}", "--workers", workers,
        "--access-logfile", "-" if args.access_log else "/dev/null",
        "--graceful-timeout", "5", "--timeout", "60",
        # gunicorn ≥ 25 opens a management socket at ~/.gunicorn/gunicorn.ctl, one path for every
        # server the user runs (they would take it from each other): huiquan has no use for it.
        "--no-control-socket",
    ]
    if args.worker_class:
        argv += ["--worker-class", args.worker_class]
    if args.threads:
        argv += ["--threads", str(args.threads)]
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover


def _start_worker() -> None:
    """`huiquan worker` beside gunicorn: gunicorn replaces this process (same pid), and the
    worker stops when that pid is no longer its parent."""
    import subprocess

    from django.db import connections

    connections.close_all()
    worker = subprocess.Popen([sys.executable, "-m", "huiquan.cli", "worker",
                               "--parent", str(os.getpid())])
    print(f"后台任务进程已启动（pid {worker.pid}）：每分钟执行一次 tick（到期事项、待确认支付、退款重试）")


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    from huiquan.worker import run

    run(parent=args.parent, interval=args.interval, verbose=args.verbose)
    return 0


# --- campaign -----------------------------------------------------------------------------------


def _database_ready(*, migrate_if_new: bool) -> str | None:
    """None when the database is migrated. A database never migrated (no tables at all) is
    migrated here when ``migrate_if_new`` (as `huiquan serve` would); otherwise, or when an
    existing database has migrations left, the one line to print instead of a traceback."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # the database cannot be reached at all
        return f"无法连接数据库：{exc}".splitlines()[0]
    if not pending:
        return None
    if executor.loader.applied_migrations:
        return "数据库有未执行的迁移：请先运行 huiquan migrate"
    if not migrate_if_new:
        return "数据库还没有初始化：请先运行 huiquan migrate，再 huiquan campaign load 活动文件"
    print("数据库还没有初始化：先执行迁移（huiquan migrate）……", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    return None


def cmd_campaign_load(args: argparse.Namespace) -> int:
    _setup()
    if (problem := _database_ready(migrate_if_new=True)) is not None:
        return _fail(problem)
    from huiquan.campaigns.config import CampaignFileError
    from huiquan.catalog.services import load_campaign_file as load_campaign
    from huiquan.core.errors import DomainError

    try:
        result = load_campaign(path=Path(args.file))
    except (CampaignFileError, DomainError) as exc:
        return _fail(str(exc))
    if result.created:
        print(f"已新建活动「{result.campaign.name}」（{result.campaign.slug}）")
    elif not result.changes:
        print(f"活动「{result.campaign.name}」已是该文件的内容，未做任何改动")
    else:
        print(f"已更新活动「{result.campaign.name}」")
    for change in result.changes:
        print(f"  - {change}")
    return 0


def _campaign(slug: str | None) -> Any:
    from huiquan.campaigns.models import Campaign

    qs = Campaign.objects.all()
    campaign = qs.filter(slug=slug).first() if slug else qs.order_by("-pk").first()
    if campaign is None:
        raise LookupError(f"找不到活动 {slug}" if slug
                          else "数据库中还没有活动：先运行 huiquan campaign load FILE")
    return campaign


def _cell(text: str, width: int, *, right: bool = False) -> str:
    """Pad to a terminal width: a Chinese character takes two columns."""
    pad = " " * max(0, width - sum(2 if ord(ch) > 0x2E7F else 1 for ch in text))
    return pad + text if right else text + pad


def cmd_campaign_show(args: argparse.Namespace) -> int:
    _setup()
    from huiquan.campaigns import selectors
    from huiquan.core.clock import local
    from huiquan.core.money import format_yuan

    if (problem := _database_ready(migrate_if_new=False)) is not None:
        return _fail(problem)
    try:
        c = _campaign(args.slug)
    except LookupError as exc:
        return _fail(str(exc))
    print(f"{c.name}  [{c.slug}]  {c.title}")
    print(f"主管：{c.owner}    承办：{c.operator}")
    print(f"补贴：成交价 {c.subsidy_rate_percent}%，封顶 {format_yuan(c.subsidy_cap_fen)} 元，"
          f"每人限用 {c.uses_per_person} 张；每张券预计补贴 {format_yuan(c.expected_subsidy_fen)} 元")
    funds = selectors.funds_by_source(c)
    columns = {"committed": "承诺", "received": "已到位", "released": "已投放", "redeemed": "已核券",
               "settled": "已结算"}
    print("\n  " + _cell("资金来源", 14) + "".join(_cell(t, 15, right=True) for t in columns.values()))
    rows = [(sf.source.name, [getattr(sf, k) for k in columns]) for sf in funds]
    rows.append(("合计", [sum(getattr(sf, k) for sf in funds) for k in columns]))
    for name, amounts in rows:
        print("  " + _cell(name, 14) + "".join(_cell(format_yuan(a), 15, right=True)
                                               for a in amounts))
    for p in c.periods.order_by("number"):
        span = (f"{local(p.starts_at):%Y-%m-%d} 至 {local(p.ends_at):%Y-%m-%d}（不含）"
                if p.starts_at and p.ends_at else "另行确定")
        print(f"\n{p.name}：{span}  状态：{selectors.period_state(p)}  {p.note}")
        for row in selectors.release_rows(p):
            r = row.release
            amount = format_yuan(r.amount_fen) if r.amount_fen else (
                f"方案 {format_yuan(r.planned_amount_fen)}" if r.planned_amount_fen else "待定")
            print(f"  第{r.number}批  {local(r.opens_at):%m-%d %H:%M} 开抢  "
                  f"{local(r.expires_at):%m-%d %H:%M} 到期  {amount:>16} 元  "
                  f"券 {r.remaining_count}/{r.voucher_count or 0}  {row.label}")
    cats = c.config.get("categories", [])
    print("\n补贴品类：" + "；".join(f"{x['name']}（{len(x['kinds'])} 类）" for x in cats))
    print("参与商户：" + "、".join(m["name"] for m in c.config.get("merchants", [])))
    return 0


# --- money and time -----------------------------------------------------------------------------


def cmd_reconcile(args: argparse.Namespace) -> int:
    _setup()
    from huiquan.reconcile import reconcile

    try:
        c = _campaign(args.slug)
    except LookupError as exc:
        return _fail(str(exc))
    rec = reconcile(c)
    print(f"对账：{c.name}")
    print(rec.table())
    return 0 if rec.ok else 1


def cmd_tick(args: argparse.Namespace) -> int:
    """Every step runs on its own: one that fails (a lock timeout, Redis down, a bug) is logged
    and reported, and the others still run — sealing, the gate's re-copy and the checkpoint
    above all (issue 12). Exit status 1 when a step failed, so cron's alerting sees it."""
    _setup()
    import logging

    from huiquan.audit.services import write_checkpoint
    from huiquan.campaigns.models import Campaign
    from huiquan.campaigns.services import perform_due_transitions
    from huiquan.core import clock
    from huiquan.redemptions.services import resolve_pending, seal_redemptions
    from huiquan.settlement.clawbacks import refresh_receivables
    from huiquan.vouchers.services import seal_claims, sync_gate

    log = logging.getLogger("huiquan.tick")
    done: list[str] = []
    failed: list[str] = []

    def step(name: str, run: Any) -> Any:
        try:
            return run()
        except Exception as exc:  # isolate the step; the next one still runs
            log.exception("tick：%s 失败", name)
            failed.append(f"{name}失败：{getattr(exc, 'message', None) or exc}")
            return None

    for c in Campaign.objects.all():
        done += step(f"活动「{c.name}」的到期事项", lambda c=c: perform_due_transitions(campaign=c)
                     ) or []
    if sealed := step("封存领券记录", seal_claims):
        done.append(f"封存 {sealed} 张领券记录进审计链")
    if resolved := step("处理待确认的支付/退款", resolve_pending):
        done.append(f"处理 {resolved} 笔待确认的支付/退款")
    for c in Campaign.objects.all():
        if booked := step("登记结算后退货追缴", lambda c=c: refresh_receivables(campaign=c)):
            done.append(f"登记 {booked} 笔结算后退货追缴")
    if sealed := step("封存核销记录", seal_redemptions):
        done.append(f"封存 {sealed} 笔核销记录进审计链")
    step("同步 Redis 领券闸门", sync_gate)
    from huiquan.verification.services import requeue_stale_checks

    if requeued := step("重新排队自动核验", requeue_stale_checks):
        done.append(f"{requeued} 份报备资料的自动核验重新排队")
    done += step("诚信信号扫描", _integrity_scans) or []  # R-INT-1; isolated like every step
    cp = step("写审计链检查点", write_checkpoint)
    print(f"{clock.now():%Y-%m-%d %H:%M:%S}：" + ("；".join(done) if done else "没有到期的事项"))
    if cp:
        print(f"审计链检查点：第 {cp.seq} 条")
    for problem in failed:
        print(f"错误：{problem}（其余步骤已照常执行；下次 tick 会重试）", file=sys.stderr)
    return 1 if failed else 0


def _integrity_scans(slug: str | None = None, *, quiet: bool = True) -> list[str]:
    """Scan every campaign (or one) for integrity signals (R-INT-1). Quiet (tick): lines only
    for scans that found something new or changed. A detector's failure raises, after the
    others' signals are stored, so tick reports the step as failed."""
    from huiquan.campaigns.models import Campaign
    from huiquan.integrity.services import scan

    campaigns = Campaign.objects.filter(slug=slug) if slug else Campaign.objects.all()
    reports = [scan(campaign=c) for c in campaigns.order_by("pk")]
    if any(r.failed for r in reports):
        raise RuntimeError("；".join(str(r) for r in reports if r.failed))
    return [str(r) for r in reports if not quiet or r.created or r.updated]


def cmd_integrity_scan(args: argparse.Namespace) -> int:
    """`huiquan integrity scan [slug]`: compute and store the integrity signals."""
    _setup()
    from huiquan.campaigns.models import Campaign

    if args.slug and not Campaign.objects.filter(slug=args.slug).exists():
        return _fail(f"没有这个活动：{args.slug}")
    try:
        lines = _integrity_scans(args.slug, quiet=False)
    except RuntimeError as exc:
        return _fail(str(exc), 1)
    print("\n".join(lines) or "还没有载入任何活动")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _setup()
    from huiquan.audit.selectors import verify_chain

    result = verify_chain()
    print(result)
    return 0 if result.ok else 1


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    _setup()
    from huiquan.audit.services import write_checkpoint

    cp = write_checkpoint()
    print(f"检查点已写入：第 {cp.seq} 条 {cp.entry_hash}" if cp else "审计链为空，无需检查点")
    return 0


def cmd_demo_accounts(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command

    from huiquan.core.roles import Role
    from huiquan.demo import DEMO_ACCOUNTS, ensure_demo_world
    from huiquan.merchants.models import MerchantStaff

    call_command("migrate", interactive=False, verbosity=0)
    try:
        ensure_demo_world()
    except RuntimeError as exc:
        return _fail(str(exc))
    rows = [{"role": a.role, "role_name": Role(a.role).label, "username": a.username,
             "password": a.password} for a in DEMO_ACCOUNTS]
    staff = [{"role": Role.MERCHANT.value, "role_name": Role.MERCHANT.label,
              "merchant": s.merchant.legal_name, "phone": s.user.phone,
              "sign_in": "手机验证码（huiquan sandbox sms PHONE）"}
             for s in MerchantStaff.objects.filter(merchant__is_demo=True)
             .select_related("merchant", "user").order_by("merchant_id")]
    if args.json:
        print(json.dumps(rows + staff, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            print(f"{r['role_name']:<20} {r['username']:<10} {r['password']}")
        print("演示商户收银人员（/merchant/ 用手机验证码登录）：")
        for m in staff:
            print(f"  {m['phone']}  {m['merchant']}")
    return 0


def _actor(name: str | None, default: str) -> Any:
    from django.conf import settings

    from huiquan.core.models import User

    username = name or (default if settings.SANDBOX else None)
    if not username:
        raise LookupError("请用 --as 指定执行人（后台用户名）")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise LookupError(f"找不到用户 {username}（演示模式请先运行 huiquan demo accounts）")
    return user


def _print_rejected(rejected: list[tuple[int, str]]) -> None:
    if rejected:
        print(f"未导入 {len(rejected)} 行：")
        for number, reason in rejected:
            print(f"  第 {number} 行：{reason}")


def cmd_blacklist_import(args: argparse.Namespace) -> int:
    _setup()
    from huiquan.core.errors import DomainError
    from huiquan.core.tabular import read_path
    from huiquan.merchants.services import BLACKLIST_COLUMNS, import_blacklist

    try:
        actor = _actor(args.actor, "market")
        rows = read_path(Path(args.file), columns=BLACKLIST_COLUMNS,
                         required=("uscc", "name", "listed_on"))
        report = import_blacklist(rows=rows, actor=actor, default_source=args.source or "")
    except (LookupError, DomainError) as exc:
        return _fail(getattr(exc, "message", str(exc)))
    print(f"失信名单：新增 {report.added} 条，已有 {report.already} 条")
    _print_rejected(report.rejected)
    for merchant, what in report.hits:
        print(f"  命中：{merchant.legal_name}（{merchant.uscc}）— {what}")
    return 1 if report.rejected else 0


def cmd_catalog_import(args: argparse.Namespace) -> int:
    _setup()
    from huiquan.catalog.services import PRODUCT_COLUMNS, import_products
    from huiquan.core.errors import DomainError
    from huiquan.core.tabular import read_path

    try:
        actor = _actor(args.actor, "bureau")
        c = _campaign(args.slug)
        rows = read_path(Path(args.file), columns=PRODUCT_COLUMNS,
                         required=("gtin", "brand", "model", "kind", "grade"))
        report = import_products(campaign=c, rows=rows, actor=actor, source=Path(args.file).name)
    except (LookupError, DomainError) as exc:
        return _fail(getattr(exc, "message", str(exc)))
    version = f"，目录第 {report.version.number} 版" if report.version else "，目录未变化"
    print(f"产品目录：新增 {report.added}，更新 {report.updated}，未变 {report.unchanged}{version}")
    _print_rejected(report.rejected)
    return 1 if report.rejected else 0


def cmd_sandbox_sms(args: argparse.Namespace) -> int:
    _setup()
    from django.conf import settings

    if not settings.SANDBOX:
        return _fail("沙箱短信只在演示/沙箱模式下可用")
    from huiquan.consumers.services import normalise_phone
    from huiquan.consumers.sms import latest_sandbox_message
    from huiquan.core.errors import DomainError

    try:
        phone = normalise_phone(args.phone)
    except DomainError as exc:
        return _fail(exc.message)
    body = latest_sandbox_message(phone)
    if body is None:
        return _fail(f"沙箱发件箱里没有发给 {phone} 的短信", code=1)
    print(body)
    return 0


def cmd_consumers_duplicates(args: argparse.Namespace) -> int:
    """Accounts sharing one canonical ID number or phone. Prints nothing and exits 0 on a clean
    database; names every account of each group and exits 1 when there is any (so a cron job can
    alert). Reads only: an operator decides."""
    _setup()
    from huiquan.consumers.selectors import duplicate_accounts
    from huiquan.core.clock import local

    groups = duplicate_accounts()
    for group in groups:
        print(f"{group.what} {group.masked} 由 {len(group.accounts)} 个账号共用：")
        for a in group.accounts:
            who = (f"消费者 #{a.consumer_id}（用户 #{a.user_id}）" if a.consumer_id is not None
                   else f"商户人员（用户 #{a.user_id}）")
            when = f"{local(a.verified_at):%Y-%m-%d %H:%M} 实名" if a.verified_at else "未实名"
            state = f"已暂停：{a.held_reason}" if a.held_reason else "正常"
            print(f"  {who}  手机 {a.phone_masked}  身份证 {a.id_masked or '—'}  {when}  "
                  f"领券 {a.vouchers} 张（已用 {a.used}）  {state}")
    return 1 if groups else 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="huiquan", description="惠券：数字消费券活动平台")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="迁移数据库、载入活动并启动 WSGI 服务")
    p.add_argument("--demo", action="store_true", help="创建并打印演示账号")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--workers", type=int, default=0, help="工作进程数（默认：CPU 数 × 2）")
    p.add_argument("--worker-class", default="", help="gunicorn 工作进程类型（默认 sync；如 gthread）")
    p.add_argument("--threads", type=int, default=0, help="每个工作进程的线程数（gthread）")
    p.add_argument("--clock", help="演示时钟起点，如 2024-06-21T09:59:00+08:00")
    p.add_argument("--access-log", action="store_true")
    p.add_argument("--no-worker", action="store_true",
                   help="不启动后台任务进程（另行运行 huiquan worker 时使用）")
    p.set_defaults(func=cmd_serve)

    camp = sub.add_parser("campaign", help="活动文件").add_subparsers(dest="sub", required=True)
    p = camp.add_parser("load", help="校验并载入活动文件（重复载入不会重复创建）")
    p.add_argument("file")
    p.set_defaults(func=cmd_campaign_load)
    p = camp.add_parser("show", help="显示活动、资金与批次")
    p.add_argument("slug", nargs="?")
    p.set_defaults(func=cmd_campaign_show)

    p = sub.add_parser("reconcile", help="对账：任何不符都以非零状态退出")
    p.add_argument("slug", nargs="?")
    p.set_defaults(func=cmd_reconcile)

    p = sub.add_parser("tick", help="执行到期事项（批次退回、提前结束、结转）；可重复运行")
    p.set_defaults(func=cmd_tick)

    audit = sub.add_parser("audit", help="审计日志").add_subparsers(dest="sub", required=True)
    p = audit.add_parser("verify", help="校验哈希链与检查点；发现篡改则以非零状态退出")
    p.set_defaults(func=cmd_audit_verify)
    p = audit.add_parser("checkpoint", help="把链头写入库外检查点文件")
    p.set_defaults(func=cmd_audit_checkpoint)

    demo = sub.add_parser("demo", help="演示数据").add_subparsers(dest="sub", required=True)
    p = demo.add_parser("accounts", help="创建并打印演示账号")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_demo_accounts)

    black = sub.add_parser("blacklist", help="失信名单").add_subparsers(dest="sub", required=True)
    p = black.add_parser("import", help="导入失信名单（CSV/xlsx：统一社会信用代码、名称、来源、列入日期）"
                         "并复核全部商户")
    p.add_argument("file")
    p.add_argument("--source", help="文件中没有「来源」列时使用的来源")
    p.add_argument("--as", dest="actor", help="执行人（后台用户名；演示模式默认 market）")
    p.set_defaults(func=cmd_blacklist_import)

    cat = sub.add_parser("catalog", help="补贴产品目录").add_subparsers(dest="sub", required=True)
    p = cat.add_parser("import", help="导入家电产品目录（CSV/xlsx：商品条码、品牌、型号、品类、能效等级）")
    p.add_argument("file")
    p.add_argument("--campaign", dest="slug")
    p.add_argument("--as", dest="actor", help="执行人（后台用户名；演示模式默认 bureau）")
    p.set_defaults(func=cmd_catalog_import)

    sandbox = sub.add_parser("sandbox", help="沙箱外部系统").add_subparsers(dest="sub", required=True)
    p = sandbox.add_parser("sms", help="显示沙箱发给该手机号的最新短信（验证码）")
    p.add_argument("phone")
    p.set_defaults(func=cmd_sandbox_sms)

    cons = sub.add_parser("consumers", help="消费者账号").add_subparsers(dest="sub", required=True)
    p = cons.add_parser("duplicates", help="列出共用同一身份证号或手机号（按规范形式）的账号；"
                        "没有则不输出并以 0 退出，有则以 1 退出。只读，不删除任何账号")
    p.set_defaults(func=cmd_consumers_duplicates)

    integ = sub.add_parser("integrity", help="诚信监管").add_subparsers(dest="sub", required=True)
    p = integ.add_parser("scan", help="计算诚信信号（同一人多家商户、封顶线下方集中、照片重复、"
                         "营业时间外或集中核销、结算后退货、先涨价后打折）；重复运行不会重复记录")
    p.add_argument("slug", nargs="?")
    p.set_defaults(func=cmd_integrity_scan)

    from huiquan import cli_staff

    cli_staff.register(sub)
    from huiquan import cli_settlement

    cli_settlement.register(sub)

    p = sub.add_parser("migrate", help="迁移数据库")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("worker", help="后台任务进程：执行任务队列，每分钟执行一次 tick（多进程也只一次）")
    p.add_argument("--parent", type=int, help=argparse.SUPPRESS)  # set by `huiquan serve`
    p.add_argument("--interval", type=float, default=1.0, help="队列为空时隔多少秒再查（默认 1）")
    p.add_argument("-v", "--verbose", action="store_true", help="记录每次调度与任务")
    p.set_defaults(func=cmd_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
