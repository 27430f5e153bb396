"""The campaign and claiming over the API (R-CLAIM-2, R-ROLE-2; invariant 4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Schema
from pydantic import BaseModel, ConfigDict, Field

from huiquan.campaigns.selectors import current_campaign
from huiquan.consumers.api import require_consumer
from huiquan.consumers.auth import bearer
from huiquan.core.api_io import answer, errors, idempotency_key, json_body, openapi_doc
from huiquan.core.converters import MAX_ID
from huiquan.core.errors import NotFound
from huiquan.vouchers import paycode, selectors, services
from huiquan.vouchers.models import Voucher

router = Router(tags=["vouchers"])


class ReleaseOut(Schema):
    id: int
    period: str
    number: int
    opens_at: datetime
    expires_at: datetime
    state: str
    voucher_count: int
    remaining_count: int
    amount_fen: int
    remaining_fen: int


class CampaignOut(Schema):
    slug: str
    name: str
    owner: str
    operator: str
    subsidy_rate_percent: int
    subsidy_cap_fen: int
    server_time: datetime
    releases: list[ReleaseOut]


class ClaimIn(BaseModel):
    # Strict: "36.08" is not a number (the document says number; the sold-out short cut agrees).
    model_config = ConfigDict(strict=True)
    lat: float | None = None
    lng: float | None = None
    coord_system: str = Field("wgs84", max_length=16, description="wgs84 或 gcj02")


class VoucherOut(BaseModel):
    id: int
    release_id: int
    claimed_at: datetime
    valid_until: datetime
    state: str
    payment_code: str | None
    payment_code_seconds_left: int | None


def voucher_out(voucher: Voucher, *, sale_pending: bool = False) -> dict[str, Any]:
    """A voucher for its holder; the payment code only while it can be used ("valid")."""
    state = selectors.voucher_state(voucher, sale_pending=sale_pending)
    live = state == "valid"
    return {"id": voucher.pk, "release_id": voucher.release_id, "claimed_at": voucher.claimed_at,
            "valid_until": voucher.valid_until, "state": state,
            "payment_code": paycode.current_code(voucher) if live else None,
            "payment_code_seconds_left": paycode.seconds_left() if live else None}


@router.get("/campaigns/current", response={200: CampaignOut, **errors(404)},
            summary="当前活动与各批次余量")
def campaign_current(request: HttpRequest) -> Any:
    from huiquan.core import clock

    campaign = current_campaign()
    if campaign is None:
        raise NotFound("当前没有活动")
    return {"slug": campaign.slug, "name": campaign.name, "owner": campaign.owner,
            "operator": campaign.operator,
            "subsidy_rate_percent": campaign.subsidy_rate_percent,
            "subsidy_cap_fen": campaign.subsidy_cap_fen, "server_time": clock.now(),
            "releases": selectors.releases_public(campaign)}


# The release-day endpoint reads its body and renders its answer through huiquan.core.api_io
# (ninja's per-request machinery cost more than a sold-out answer); the documented contract is
# the same: ClaimIn in, VoucherOut out.
@router.post("/releases/{release_id}/claims",
             response={201: VoucherOut, **errors(401, 403, 404, 409, 503, body=True)},
             auth=bearer, summary="领取消费券", openapi_extra=openapi_doc(ClaimIn))
def claim(request: HttpRequest, release_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    payload = json_body(request, ClaimIn)
    consumer = require_consumer(request)
    voucher = services.claim_voucher(consumer=consumer, release_id=release_id, lat=payload.lat,
                                     lng=payload.lng, coord_system=payload.coord_system,
                                     idempotency_key=idempotency_key(request))
    return answer(voucher_out(voucher), 201)

# GET /me/vouchers is served by huiquan/redemptions/resident_api.py: a voucher's state depends on
# a sale in flight, which the redemptions app owns (F9).


