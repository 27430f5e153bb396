"""The seven merchants of the plan's annex, as approved and trained demo merchants.

Names and addresses come from the campaign file; the USCCs are made-up test numbers for Xi
County (area 141031) that pass the GB 32100 check; staff phones are fake (sandbox SMS only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from stdnum.cn import uscc

from huiquan.core import clock
from huiquan.core.models import User
from huiquan.core.roles import Role
from huiquan.merchants.models import Merchant, MerchantStaff, MerchantState, Training

# Points inside Xi County's town (GCJ-02), a few hundred metres apart.
_POINTS = [(36.6934, 110.9406), (36.6905, 110.9380), (36.6850, 110.9440), (36.6920, 110.9360),
           (36.6902, 110.9384), (36.6960, 110.9420), (36.6898, 110.9390)]


def _categories(name: str) -> list[str]:
    if "电器" in name or "海尔" in name:
        return ["appliance"]
    if "家私" in name or "家具" in name:
        return ["furniture"]
    if "全屋定制" in name:
        return ["furniture", "decoration"]
    if "布艺" in name:
        return ["textile", "decoration"]
    return ["furniture"]


def demo_uscc(index: int) -> str:
    """A made-up but well-formed USCC: 9 (industry & commerce), 2 (individual business),
    141031 (Xi County), a 9-character organisation part, then the check character."""
    body = f"92141031MA0HQ{index:04d}"[:17]
    return body + uscc.calc_check_digit(body)


def demo_phone(index: int) -> str:
    return f"1390357{index:04d}"


@dataclass(frozen=True)
class DemoMerchant:
    name: str
    uscc: str
    phone: str


@transaction.atomic
def ensure_demo_merchants(campaign: Any) -> list[DemoMerchant]:
    if not settings.SANDBOX:
        raise RuntimeError("演示商户只能在演示/沙箱模式下创建")
    reviewer = User.objects.filter(role=Role.REVIEWER, is_active=True).order_by("pk").first()
    now = clock.now()
    out = []
    for i, entry in enumerate(campaign.config.get("merchants", []), start=1):
        code, phone = demo_uscc(i), demo_phone(i)
        merchant, created = Merchant.objects.get_or_create(
            campaign=campaign, uscc=code,
            defaults={"legal_name": entry["name"], "address": entry["address"],
                      "lat": _POINTS[(i - 1) % len(_POINTS)][0],
                      "lng": _POINTS[(i - 1) % len(_POINTS)][1], "coord_system": "gcj02",
                      "categories": _categories(entry["name"]), "scale": "individual",
                      "bank_name": "中国建设银行隰县支行", "bank_account_name": entry["name"],
                      "bank_account": f"6217000{i:04d}0000{i:04d}", "contact_phone": phone,
                      "state": MerchantState.APPROVED, "created_at": now, "submitted_at": now,
                      "decided_at": now, "decided_by": reviewer,
                      "decision_reason": "演示商户（方案附件所列）", "is_demo": True,
                      "checks": {"at": now.isoformat(), "results": {}}})
        user, _ = User.objects.get_or_create(username=f"m{phone}",
                                             defaults={"role": Role.MERCHANT, "phone": phone})
        user.set_unusable_password()
        user.display_name, user.organisation = "店长（演示）", entry["name"]
        user.save()
        MerchantStaff.objects.get_or_create(user=user, defaults={"merchant": merchant,
                                                                 "is_owner": True,
                                                                 "name": "店长（演示）"})
        if created and reviewer is not None:
            Training.objects.create(merchant=merchant, trainee_name="店长（演示）",
                                    mode="offline", trained_at=now, recorded_by=reviewer,
                                    recorded_at=now)
        out.append(DemoMerchant(entry["name"], code, phone))
    return out
