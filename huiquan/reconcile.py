"""The whole reconcile of a campaign (`huiquan reconcile`, the office's 对账 page, invariant 3).

Each app proves its own part against the ledger in its ``reconcile.py``; this module only
assembles them, above every app (docs/architecture.md). An app added later (verification,
settlement) adds its checks to ``CHECKS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huiquan.campaigns.reconcile import reconcile_campaign
from huiquan.ledger.reconcile import reconcile_ledger
from huiquan.ledger.selectors import Reconciliation
from huiquan.redemptions.reconcile import reconcile_redemptions
from huiquan.settlement.reconcile import reconcile_settlement
from huiquan.vouchers.reconcile import reconcile_vouchers

CHECKS: list[Callable[[Any], list[tuple[str, bool, str]]]] = [
    reconcile_ledger, reconcile_campaign, reconcile_vouchers, reconcile_redemptions,
    reconcile_settlement,
]


def reconcile(campaign: Any) -> Reconciliation:
    """Every check of every app, for one campaign. Reads only."""
    rec = Reconciliation()
    for checks in CHECKS:
        for name, ok, detail in checks(campaign):
            rec.add(name, ok, detail)
    return rec
