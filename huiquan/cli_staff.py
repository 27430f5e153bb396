"""`huiquan staff add|link|disable|list`: office accounts from the server's command line.

The writes are the services of huiquan.staff.services (one transaction, an audit entry each); this
module only parses, prints and turns a refusal into one line on stderr.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from huiquan.core.roles import STAFF_ROLES, Role

ROLE_VALUES = [r.value for r in Role if r in STAFF_ROLES]


def _setup() -> None:
    from huiquan.cli import _setup as setup

    setup()


def _fail(message: str, code: int = 2) -> int:
    from huiquan.cli import _fail as fail

    return fail(message, code)


def _actor(username: str | None) -> Any:
    """The admin named by --as (must be an active system admin), or None: the operator at the
    server's console, recorded as "system" with the OS user."""
    if not username:
        return None
    from huiquan.core.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise LookupError(f"找不到用户 {username}")
    return user


def _url_base(given: str | None) -> str:
    from django.conf import settings

    if given:
        return given.rstrip("/")
    hosts = [h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"]
    if not settings.SANDBOX and hosts:
        return f"https://{hosts[0]}"
    return "http://127.0.0.1:8000"


def _print_link(link: Any, base: str) -> None:
    print("请把下面的链接交给本人（只能使用一次，3 天内有效）；本人打开后设置自己的密码，再到 "
          f"{base}/office/login/ 登录：")
    print(f"  {base}{link.path}")


class _Refused(Exception):
    """A service's refusal, printed as one line on stderr (exit status 2)."""


def _service(args: argparse.Namespace, name: str, **kwargs: Any) -> Any:
    """Run ``huiquan.staff.services.<name>`` as the --as admin (or "system")."""
    _setup()
    from huiquan.core.errors import DomainError
    from huiquan.staff import services as staff

    try:
        return getattr(staff, name)(actor=_actor(args.actor), **kwargs)
    except (LookupError, DomainError) as exc:
        raise _Refused(getattr(exc, "message", str(exc))) from None


def _one_line_refusals(command: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except _Refused as exc:
            return _fail(str(exc))

    return run


def cmd_staff_add(args: argparse.Namespace) -> int:
    link = _service(args, "add_staff", username=args.username, role=args.role,
                    display_name=args.name, organisation=args.org, phone=args.phone or "")
    user = link.user
    print(f"已新建后台账号 {user.username}：{user.display_name}，{user.organisation}，"
          f"{Role(user.role).label}")
    _print_link(link, _url_base(args.url_base))
    return 0


def cmd_staff_link(args: argparse.Namespace) -> int:
    link = _service(args, "reissue_password_link", username=args.username)
    print(f"账号 {link.user.username} 的原密码已作废，已登录的会话全部结束。")
    _print_link(link, _url_base(args.url_base))
    return 0


def cmd_staff_disable(args: argparse.Namespace) -> int:
    changed = _service(args, "disable_staff", username=args.username)
    print(f"已停用账号 {args.username}：不能再登录，已登录的会话和接口令牌全部失效。" if changed
          else f"账号 {args.username} 早已停用，未做改动。")
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    _setup()
    from huiquan.core.clock import local
    from huiquan.staff import services as staff

    rows: list[dict[str, Any]] = [{
        "username": u.username, "role": u.role, "role_name": Role(u.role).label,
        "name": u.display_name, "organisation": u.organisation, "active": u.is_active,
        "password_set": u.has_usable_password(),
        "last_login": local(u.last_login).isoformat() if u.last_login else None,
    } for u in staff.staff_accounts()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("还没有后台账号：huiquan staff add 用户名 --role admin --name 姓名 --org 单位")
        return 0
    print(f"{'用户名':<12}{'角色':<22}{'姓名':<12}{'单位':<20}{'状态':<10}最近登录")
    for r in rows:
        state = ("启用" if r["password_set"] else "待设密码") if r["active"] else "停用"
        last = r["last_login"][:16].replace("T", " ") if r["last_login"] else "从未登录"
        print(f"{r['username']:<12}{r['role_name']:<22}{r['name']:<12}{r['organisation']:<20}"
              f"{state:<10}{last}")
    return 0


def register(sub: Any) -> None:
    """Add `staff …` to the `huiquan` command's sub-commands."""
    staff = sub.add_parser("staff", help="后台工作人员账号").add_subparsers(dest="sub", required=True)
    p = staff.add_parser("add", help="新建后台账号并给出设置密码的链接（一次有效，3 天）")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=ROLE_VALUES,
                   help="bureau 工信局 / reviewer 平台审核 / finance 财政局 / auditor 审计局（只读）"
                        " / market 市场监管局 / admin 系统管理员")
    p.add_argument("--name", required=True, help="姓名")
    p.add_argument("--org", required=True, help="单位")
    p.add_argument("--phone", help="手机号（可选）")
    p.add_argument("--as", dest="actor", help="执行人（系统管理员用户名；不填记为 system）")
    p.add_argument("--url-base", help="链接的网址前缀（默认 https://HUIQUAN_ALLOWED_HOSTS 的第一个）")
    p.set_defaults(func=_one_line_refusals(cmd_staff_add))
    p = staff.add_parser("link", help="重设密码：原密码作废，给出新的设置密码链接")
    p.add_argument("username")
    p.add_argument("--as", dest="actor")
    p.add_argument("--url-base")
    p.set_defaults(func=_one_line_refusals(cmd_staff_link))
    p = staff.add_parser("disable", help="停用账号（结束其会话与令牌）")
    p.add_argument("username")
    p.add_argument("--as", dest="actor")
    p.set_defaults(func=_one_line_refusals(cmd_staff_disable))
    p = staff.add_parser("list", help="列出后台账号：角色、姓名、单位、状态、最近登录")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_staff_list)
