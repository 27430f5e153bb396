from __future__ import annotations

from huiquan.core.errors import DomainError


class CampaignError(DomainError):
    code = "CAMPAIGN_INVALID"
    status = 422


class FundsNotReceived(DomainError):
    """R-FUND-2: only received money can be released; the message names what is missing."""

    code = "FUNDS_NOT_RECEIVED"
    status = 409


class OverCommitted(DomainError):
    code = "OVER_COMMITTED"
    status = 409


class ReleaseAlreadyConfirmed(DomainError):
    code = "RELEASE_ALREADY_CONFIRMED"
    status = 409


class ReleaseNotConfirmable(DomainError):
    code = "RELEASE_NOT_CONFIRMABLE"
    status = 409


class ReasonRequired(DomainError):
    code = "REASON_REQUIRED"
    status = 422
