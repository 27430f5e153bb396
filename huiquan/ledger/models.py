"""Double-entry ledger in integer fen (ARCHITECTURE.md invariant 3).

Every pool is split by funding source, so every fen can be traced from the source that paid it
to wherever it is now (R-FUND-1, R-SET-3). ``Account.balance_fen`` is a denormalised counter,
moved only by conditional updates inside the posting transaction; ``huiquan reconcile`` proves it
equals the sum of the account's postings.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AccountKind(models.TextChoices):
    FUNDING_SOURCE = "funding_source", "资金来源"
    CAMPAIGN_POOL = "campaign_pool", "活动资金池（已到位未分配）"
    PERIOD_POOL = "period_pool", "周期资金池"
    RELEASE_POOL = "release_pool", "批次资金"
    RESERVED = "reserved", "核销预占"
    MERCHANT_PAYABLE = "merchant_payable", "应付商户（已核券）"
    PAID_OUT = "paid_out", "已拨付商户"
    CLAWBACK_RECEIVABLE = "clawback_receivable", "应收退回（退货追缴）"
    RETURNED_TO_TREASURY = "returned_to_treasury", "已退回国库"


# Only the funding-source accounts carry a negative balance: they are the other side of money
# received (balance = −received). Every other account is a pool and can never go below zero.
NEGATIVE_KINDS = frozenset({AccountKind.FUNDING_SOURCE})


class Account(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="accounts")
    code = models.CharField(max_length=96)
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    source = models.ForeignKey("campaigns.FundingSource", on_delete=models.PROTECT,
                               related_name="accounts")
    period = models.ForeignKey("campaigns.Period", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="accounts")
    release = models.ForeignKey("campaigns.Release", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="accounts")
    party = models.CharField(max_length=64, blank=True)  # e.g. a merchant's id
    balance_fen = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "账户"
        verbose_name_plural = "账户"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="account_code_unique"),
            # Defence in depth: the database itself refuses a negative pool.
            models.CheckConstraint(
                condition=models.Q(kind=AccountKind.FUNDING_SOURCE) | models.Q(balance_fen__gte=0),
                name="account_pool_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "kind"])]

    def __str__(self) -> str:
        return self.code


class TxKind(models.TextChoices):
    RECEIVE_FUNDS = "receive_funds", "资金到位"
    FUND_PERIOD = "fund_period", "分配至周期"
    FUND_RELEASE = "fund_release", "批次投放"
    RELEASE_RETURN = "release_return", "批次到期退回周期"
    CARRY_OVER = "carry_over", "周期结转"
    RESERVE = "reserve", "核销预占"
    RESERVE_RELEASE = "reserve_release", "释放预占"
    REDEEM = "redeem", "核券"
    RETURN_BEFORE_SETTLEMENT = "return_before_settlement", "结算前退货"
    CLAWBACK = "clawback", "结算后退货追缴"
    PAYOUT = "payout", "拨付商户"
    TREASURY_RETURN = "treasury_return", "退回国库"


class LedgerTransaction(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT,
                                 related_name="ledger_transactions")
    kind = models.CharField(max_length=32, choices=TxKind.choices)
    created_at = models.DateTimeField()
    memo = models.CharField(max_length=255, blank=True)
    # Makes a transition happen at most once, whoever runs it (tick twice, two workers).
    dedupe_key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey("campaigns.Period", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    release = models.ForeignKey("campaigns.Release", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=128, blank=True)  # e.g. a treasury voucher number

    # Not a column: on the instance ``ledger.services.post`` returns, the (account, amount)
    # lines it booked, so a caller need not read its postings back.
    posted: list[tuple[Account, int]]

    class Meta:
        verbose_name = "账务交易"
        verbose_name_plural = "账务交易"
        indexes = [models.Index(fields=["campaign", "kind"]),
                   models.Index(fields=["release", "kind"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"


class Posting(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT,
                                    related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount_fen = models.BigIntegerField()

    class Meta:
        verbose_name = "分录"
        verbose_name_plural = "分录"
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount_fen=0), name="posting_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount_fen}"
