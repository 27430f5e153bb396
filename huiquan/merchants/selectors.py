"""Reads about merchants: whose till is open, the review queue, the public list (R-ROLE-2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huiquan.core import sql
from huiquan.core.errors import DomainError
from huiquan.merchants.errors import MerchantCode
from huiquan.merchants.models import (
    BlacklistEntry,
    IntegrityCase,
    Merchant,
    MerchantStaff,
    MerchantState,
    Training,
)


def merchant_of(user: Any) -> Merchant | None:
    """The merchant a staff user works for (None for everyone else)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    link = (MerchantStaff.objects.filter(user_id=user.pk).select_related("merchant__campaign")
            .first())
    return link.merchant if link else None


def is_trained(merchant: Merchant) -> bool:
    return merchant.trainings.exists()


@dataclass(frozen=True)
class CampaignTerms:
    """The campaign's subsidy terms, as the till's quote needs them."""

    pk: int
    subsidy_rate_percent: int
    subsidy_cap_fen: int
    catalog_version: int = 0  # the newest catalogue version's number, read with the till


@dataclass(frozen=True)
class Till:
    """What a till needs of the merchant its staff user works for, read in one query
    (redemptions.scan.till_of: with the campaign's terms and the catalogue's version)."""

    pk: int
    campaign_id: int
    legal_name: str
    state: str
    state_reason: str
    categories: list[str]
    trained: bool
    campaign: CampaignTerms

    def __str__(self) -> str:
        return self.legal_name


def legal_name(merchant_id: int) -> str:
    """A merchant's legal name in one plain query ("" if none): for the memo of the ledger
    transaction of every completed sale."""
    row = sql.fetch_one("SELECT legal_name FROM merchants_merchant WHERE id = %s", [merchant_id])
    return str(row[0]) if row else ""


def till_refusal(merchant: Merchant | Till | None) -> DomainError | None:
    """Why this merchant may not redeem now, or None (R-MER-3, R-MER-5, R-INT-1)."""
    if merchant is None:
        return DomainError("只有参与商户的收银人员可以核销", code=MerchantCode.MERCHANT_NOT_APPROVED,
                           status=403)
    if merchant.state == MerchantState.SUSPENDED:
        return DomainError(f"商户已被暂停，收银台已锁定：{merchant.state_reason}",
                           code=MerchantCode.MERCHANT_SUSPENDED, status=403)
    if merchant.state == MerchantState.DISQUALIFIED:
        return DomainError("商户已被取消参与资格，收银台已锁定", code=MerchantCode.MERCHANT_SUSPENDED,
                           status=403)
    if merchant.state != MerchantState.APPROVED:
        label = MerchantState(merchant.state).label
        return DomainError(f"商户尚未通过审核（当前：{label}），不能核销",
                           code=MerchantCode.MERCHANT_NOT_APPROVED, status=403)
    trained = merchant.trained if isinstance(merchant, Till) else is_trained(merchant)
    if not trained:
        return DomainError("商户人员尚未完成培训，收银台已锁定（R-MER-5）：请联系平台登记培训",
                           code=MerchantCode.MERCHANT_NOT_TRAINED, status=403)
    return None


@dataclass(frozen=True)
class PublicShop:
    """A participating shop as the campaign page shows it (R-ROLE-2): live data, not the
    campaign file's list."""

    pk: int
    name: str
    address: str
    phone: str
    categories: list[str]  # category names, in the campaign's order
    lat: float | None  # WGS-84, for the distance from the resident's browser fix
    lng: float | None
    map_url: str  # Amap (高德) marker, in GCJ-02 as Amap expects


AMAP_MARKER = "https://uri.amap.com/marker"


def _points(merchant: Merchant) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """((lat, lng) in WGS-84, (lat, lng) in GCJ-02) of a shop's stored map point."""
    from huiquan.core.geo import gcj02_to_wgs84, wgs84_to_gcj02

    if merchant.lat is None or merchant.lng is None:
        return None
    if merchant.coord_system == "wgs84":
        glng, glat = wgs84_to_gcj02(merchant.lng, merchant.lat)
        return (merchant.lat, merchant.lng), (glat, glng)
    wlng, wlat = gcj02_to_wgs84(merchant.lng, merchant.lat)
    return (wlat, wlng), (merchant.lat, merchant.lng)


def public_shops(campaign: Any) -> list[PublicShop]:
    """The shops where a voucher can be used now: approved (so neither suspended nor
    disqualified, R-MER-3, R-INT-1) and trained (an untrained shop's till is locked, R-MER-5).
    Read from the merchants table on every view, so a shop approved today is listed today."""
    from urllib.parse import urlencode

    names = {c["code"]: c["name"] for c in (campaign.config or {}).get("categories", [])}
    order = list(names)
    shops = []
    from django.db.models import Exists, OuterRef

    trained = Exists(Training.objects.filter(merchant=OuterRef("pk")))
    for m in (Merchant.objects.filter(trained, campaign=campaign, state=MerchantState.APPROVED)
              .only("legal_name", "address", "contact_phone", "categories", "lat", "lng",
                    "coord_system").order_by("pk")):
        points = _points(m)
        map_url = ""
        if points is not None:
            (glat, glng) = points[1]
            map_url = f"{AMAP_MARKER}?" + urlencode({
                "position": f"{glng:.6f},{glat:.6f}", "name": m.legal_name,
                "coordinate": "gaode", "callnative": "1", "src": "huiquan"})
        cats = sorted((c for c in m.categories if c in names), key=order.index)
        shops.append(PublicShop(pk=m.pk, name=m.legal_name, address=m.address,
                                phone=m.contact_phone, categories=[names[c] for c in cats],
                                lat=points[0][0] if points else None,
                                lng=points[0][1] if points else None, map_url=map_url))
    return shops


def participating(campaign: Any) -> list[Merchant]:
    return list(Merchant.objects.filter(campaign=campaign, state=MerchantState.APPROVED)
                .order_by("pk"))


def review_queue(campaign: Any) -> list[Merchant]:
    return list(Merchant.objects.filter(campaign=campaign, state=MerchantState.SUBMITTED)
                .order_by("submitted_at", "pk"))


def all_merchants(campaign: Any) -> list[Merchant]:
    return list(Merchant.objects.filter(campaign=campaign).prefetch_related("trainings")
                .order_by("state", "pk"))


def blacklist(limit: int = 200) -> list[BlacklistEntry]:
    return list(BlacklistEntry.objects.order_by("-imported_at", "pk")[:limit])


def open_cases() -> list[IntegrityCase]:
    return list(IntegrityCase.objects.filter(closed_at__isnull=True)
                .select_related("merchant", "blacklist_entry").order_by("-opened_at"))


def merchant_in_campaign(campaign_id: int, merchant_id: int) -> Merchant | None:
    """One merchant of a campaign, or None (a forged or foreign id)."""
    return Merchant.objects.filter(pk=merchant_id, campaign_id=campaign_id).first()


def legal_names(campaign_id: int) -> dict[int, str]:
    """Every merchant's legal name of a campaign, in one query (the integrity evidence)."""
    return dict(Merchant.objects.filter(campaign_id=campaign_id).values_list("pk", "legal_name"))
