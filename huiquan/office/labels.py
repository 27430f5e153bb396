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
    "merchant.start": "创建商户申请",
    "merchant.save": "保存商户申请",
    "merchant.submit": "提交商户申请",
    "merchant.approve": "商户审核通过",
    "merchant.reject": "商户审核驳回",
    "merchant.training": "登记商户培训",
    "merchant.suspend": "暂停商户",
    "merchant.reinstate": "恢复商户",
    "merchant.disqualify": "取消商户资格",
    "merchant.blacklist_hit": "命中失信名单",
    "blacklist.import": "导入失信名单",
    "catalog.version": "发布目录版本",
    "redemption.return": "退货退款",
    "redemption.scan_locked": "收银台锁定（付款码错误过多）",
    "consumer.otp_ip_locked": "网络地址锁定（验证码错误过多）",
    "redemptions.seal": "封存核销记录",
    "integrity.scan": "诚信信号扫描",
    "integrity.case_open": "监管立案",
    "integrity.case_entry": "添加案件记录",
    "integrity.case_decide": "案件处理决定",
}

OBJECT_LABELS = {
    "campaign": "活动",
    "funding_source": "资金来源",
    "period": "周期",
    "release": "发放批次",
    "voucher": "消费券",
    "merchant": "商户",
    "blacklist": "失信名单",
    "catalog_version": "目录版本",
    "redemption": "核销记录",
    "user": "用户",
    "ip": "网络地址",
    "supervision_case": "监管案件",
}

# Pill colours of a merchant's state (classes of office.css).
MERCHANT_STATE_PILLS = {
    "submitted": "awaiting_confirmation",
    "approved": "ok",
    "rejected": "bad",
    "suspended": "bad",
    "disqualified": "bad",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def object_label(code: str) -> str:
    return OBJECT_LABELS.get(code, code)


def merchant_state_pill(state: str) -> str:
    return MERCHANT_STATE_PILLS.get(state, "")
