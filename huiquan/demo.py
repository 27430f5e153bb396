"""Demo accounts: one log-in per staff role, so a visitor can try every part of the office.

Passwords are fixed and printed: they exist only in demo/sandbox mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from huiquan.core.models import User
from huiquan.core.roles import Role


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str
    display_name: str
    organisation: str


DEMO_ACCOUNTS = [
    DemoAccount(Role.BUREAU, "bureau", "demo-bureau-2024", "工信局 经办人", "隰县工信和科技局"),
    DemoAccount(Role.REVIEWER, "reviewer", "demo-reviewer-2024", "建行 审核员",
                "中国建设银行隰县支行"),
    DemoAccount(Role.FINANCE, "finance", "demo-finance-2024", "财政局 经办人", "隰县财政局"),
    # Settlement runs are approved by a second finance officer (four eyes, issue 14).
    DemoAccount(Role.FINANCE, "finance2", "demo-finance2-2024", "财政局 复核人", "隰县财政局"),
    DemoAccount(Role.AUDITOR, "auditor", "demo-auditor-2024", "审计局 审计员", "隰县审计局"),
    DemoAccount(Role.MARKET, "market", "demo-market-2024", "市场监管局 经办人", "隰县市场监管局"),
    DemoAccount(Role.ADMIN, "admin", "demo-admin-2024", "系统管理员", "平台运维"),
]


@transaction.atomic
def ensure_demo_accounts() -> list[DemoAccount]:
    if not settings.SANDBOX:
        raise RuntimeError("演示账号只能在演示/沙箱模式下创建")
    for acc in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(username=acc.username,
                                             defaults={"role": acc.role})
        user.role = acc.role
        user.display_name = acc.display_name
        user.organisation = acc.organisation
        user.is_staff = acc.role == Role.ADMIN
        user.is_superuser = acc.role == Role.ADMIN
        user.is_active = True
        user.set_password(acc.password)
        user.save()
    return DEMO_ACCOUNTS


DEMO_PRODUCTS = settings.BASE_DIR / "campaigns" / "xixian-2024-appliances.csv"


def ensure_demo_world() -> list[DemoAccount]:
    """Staff accounts, then, for every campaign: the plan's seven merchants (approved and
    trained) and the sample appliance register (made-up test products)."""
    from huiquan.campaigns.models import Campaign
    from huiquan.catalog.models import Product
    from huiquan.catalog.services import PRODUCT_COLUMNS, import_products
    from huiquan.core.tabular import read_path
    from huiquan.merchants.demo import ensure_demo_merchants

    accounts = ensure_demo_accounts()
    bureau = User.objects.get(username="bureau")
    for campaign in Campaign.objects.order_by("pk"):
        ensure_demo_merchants(campaign)
        if not Product.objects.filter(campaign=campaign).exists() and DEMO_PRODUCTS.exists():
            rows = read_path(DEMO_PRODUCTS, columns=PRODUCT_COLUMNS,
                             required=("gtin", "brand", "model", "kind", "grade"))
            import_products(campaign=campaign, rows=rows, actor=bureau,
                            source="演示产品目录（测试数据）")
    return accounts
