"""Chinese names for the audit log's action and object codes (codes stay the stored truth)."""

from __future__ import annotations

ACTION_LABELS = {
    "campaign.load": "载入活动文件",
    "funds.receive": "登记资金到位",
    "release.confirm": "确认批次投放",
    "release.return": "批次到期退回",
    "period.end_early": "周期提前结束",
    "period.carry_over": "周期结余结转",
    "vouchers.seal": "封存领券记录",
}

OBJECT_LABELS = {
    "campaign": "活动",
    "funding_source": "资金来源",
    "period": "周期",
    "release": "发放批次",
    "voucher": "消费券",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def object_label(code: str) -> str:
    return OBJECT_LABELS.get(code, code)
