"""The till and the bank's systems over the API (R-USE-1..5, R-RET-1..2).

Merchant staff get their bearer token through /api/v1/auth/otp + /api/v1/auth/verify, like
consumers; a merchant token sees only its own redemptions (another's id is 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Status
from pydantic import BaseModel, ConfigDict, Field

from huiquan.consumers.auth import bearer
from huiquan.core.api_io import errors, idempotency_key, openapi_doc
from huiquan.core.converters import MAX_ID
from huiquan.core.errors import PermissionRefused
from huiquan.merchants.selectors import merchant_of
from huiquan.redemptions import pricing, returns, selectors, services
from huiquan.redemptions.models import GoodsReturn

router = Router(tags=["merchant"])


# Request bodies are plain pydantic models: ninja's Schema also reads ORM objects, and its
# per-field getter cost a tenth of a till scan's time (bench/RESULTS.md).
# Strict (no "1" for 1) and bounded in length; prices, quantities and the goods themselves are
# the till's rules (PRICE_INVALID, GTIN_INVALID, NOT_ELIGIBLE_GOODS … in docs/api.md).
class LineIn(BaseModel):
    model_config = ConfigDict(strict=True)
    gtin: str | None = Field(None, max_length=32)
    kind_id: int | None = Field(None, ge=1, le=MAX_ID)
    other: bool = False
    description: str = Field("", max_length=128)
    quantity: int = 1
    unit_price_fen: int
    discount_fen: int = 0


class RedemptionIn(BaseModel):
    model_config = ConfigDict(strict=True)
    payment_code: str = Field(max_length=64, description="顾客付款码：18 位数字（空格可以）")
    lines: list[LineIn] = Field(max_length=200)
    quote_id: str | None = Field(None, max_length=64,
                                 description="POST /merchant/quotes 答复的 quote_id：商品或价格"
                                 "与报价不一致时拒绝（QUOTE_CHANGED）")


class QuoteIn(BaseModel):
    model_config = ConfigDict(strict=True)
    lines: list[LineIn] = Field(max_length=200)


class QuoteLineOut(BaseModel):
    position: int
    description: str
    gtin: str
    category: str
    kind: str
    brand: str
    model: str
    label: str
    grade: int | None
    quantity: int
    unit_price_fen: int
    discount_fen: int
    final_fen: int
    eligible: bool


class QuoteOut(BaseModel):
    quote_id: str
    lines: list[QuoteLineOut]
    total_final_fen: int
    eligible_final_fen: int
    subsidy_fen: int
    consumer_pays_fen: int


def quote_out(quote: pricing.Quote) -> dict[str, Any]:
    return {"quote_id": quote.quote_id, "total_final_fen": quote.total_final_fen,
            "eligible_final_fen": quote.eligible_final_fen, "subsidy_fen": quote.subsidy_fen,
            "consumer_pays_fen": quote.consumer_pays_fen,
            "lines": [{"position": p.position, "description": p.description, "gtin": p.gtin,
                       "category": p.category_name, "kind": p.kind_name,
                       "brand": p.product.brand if p.product else "",
                       "model": p.product.model if p.product else "",
                       "label": p.product.get_label_type_display() if p.product else "",
                       "grade": p.product.grade if p.product else None,
                       "quantity": p.quantity, "unit_price_fen": p.unit_price_fen,
                       "discount_fen": p.discount_fen, "final_fen": p.final_fen,
                       "eligible": p.eligible} for p in quote.lines]}


class LineOut(BaseModel):
    id: int
    description: str
    gtin: str
    quantity: int
    unit_price_fen: int
    discount_fen: int
    final_fen: int
    eligible: bool
    returned_quantity: int


class ReturnOut(BaseModel):
    id: int
    created_at: datetime
    returned_final_fen: int
    subsidy_back_fen: int
    refund_fen: int
    before_settlement: bool
    refund_state: str


class ChargeRefundOut(BaseModel):
    amount_fen: int
    refund_state: str
    charge_reference: str
    refund_reference: str


class RedemptionOut(BaseModel):
    id: int
    state: str
    failure_code: str
    outcome: str
    merchant: str
    consumer_masked_id: str
    created_at: datetime
    total_final_fen: int
    eligible_final_fen: int
    subsidy_fen: int
    consumer_pays_fen: int
    subsidy_returned_fen: int
    clawback_fen: int
    payment_reference: str
    lines: list[LineOut]
    returns: list[ReturnOut]
    charge_refund: ChargeRefundOut | None


def redemption_out(view: selectors.RedemptionView) -> dict[str, Any]:
    r, refund = view.redemption, view.auto_refund
    return {"id": r.pk, "state": r.state, "failure_code": r.failure_code,
            "outcome": selectors.payment_outcome(r, refund), "merchant": view.merchant_name,
            "consumer_masked_id": view.consumer_masked_id, "created_at": r.created_at,
            "total_final_fen": r.total_final_fen, "eligible_final_fen": r.eligible_final_fen,
            "subsidy_fen": r.subsidy_fen, "consumer_pays_fen": r.consumer_pays_fen,
            "subsidy_returned_fen": r.subsidy_returned_fen, "clawback_fen": r.clawback_fen,
            "payment_reference": r.payment_reference,
            "lines": [{"id": ln.pk, "description": ln.description, "gtin": ln.gtin,
                       "quantity": ln.quantity, "unit_price_fen": ln.unit_price_fen,
                       "discount_fen": ln.discount_fen, "final_fen": ln.final_fen,
                       "eligible": ln.eligible, "returned_quantity": ln.returned_quantity}
                      for ln in view.lines],
            "returns": [return_out(g) for g in view.returns],
            "charge_refund": None if refund is None else {
                "amount_fen": refund.amount_fen, "refund_state": refund.refund_state,
                "charge_reference": refund.charge_reference,
                "refund_reference": refund.refund_reference}}


def return_out(g: GoodsReturn) -> dict[str, Any]:
    return {"id": g.pk, "created_at": g.created_at, "returned_final_fen": g.returned_final_fen,
            "subsidy_back_fen": g.subsidy_back_fen, "refund_fen": g.refund_fen,
            "before_settlement": g.before_settlement, "refund_state": g.refund_state}


def _merchant(request: HttpRequest) -> Any:
    merchant = merchant_of(request.user)
    if merchant is None:
        raise PermissionRefused("只有参与商户的收银人员可以这样做")
    return merchant


@router.post("/merchant/quotes", response={200: QuoteOut, **errors(401, 403, 503, body=True)},
             auth=bearer, summary="报价：先录商品（不需要付款码，不占用消费券）")
def quote(request: HttpRequest, payload: QuoteIn) -> Any:
    """Goods first (issue 16): every line's brand, model, kind, grade and final price, the
    subsidy and what the customer pays. Send ``quote_id`` with the payment code, scanned last."""
    return quote_out(services.quote_for(actor=request.user,
                                        lines=[line.model_dump() for line in payload.lines]))


@router.post("/merchant/redemptions",
             response={201: RedemptionOut, 202: RedemptionOut,
                       **errors(401, 402, 403, 404, 409, 429, 503, body=True)},
             auth=bearer, summary="核销：商品明细 + 最后扫的付款码", openapi_extra=openapi_doc())
def redeem(request: HttpRequest, payload: RedemptionIn) -> Any:
    redemption = services.redeem_voucher(
        actor=request.user, payment_code=payload.payment_code,
        lines=[line.model_dump() for line in payload.lines],
        idempotency_key=idempotency_key(request), quote_id=payload.quote_id)
    view = selectors.view_after_sale(redemption)
    return Status(201 if view.redemption.state == "completed" else 202, redemption_out(view))


@router.get("/merchant/redemptions/{redemption_id}",
            response={200: RedemptionOut, **errors(401, 403, 404, 503)}, auth=bearer,
            summary="查询本店的一笔核销")
def get_redemption(request: HttpRequest, redemption_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    """Reads only (issue 13: no GET writes): a pending sale is answered as pending; asking the
    provider, which may finish the sale and post to the ledger, is the POST below (and tick)."""
    return redemption_out(selectors.view_for_merchant(_merchant(request), redemption_id))


@router.post("/merchant/redemptions/{redemption_id}/payment-check",
             response={200: RedemptionOut, **errors(401, 403, 404, 503)},
             auth=bearer, summary="查询支付结果（支付中的核销向支付通道确认）")
def check_redemption_payment(request: HttpRequest,
                             redemption_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _checked(request, redemption_id)


def _checked(request: HttpRequest, redemption_id: int) -> Any:
    merchant = _merchant(request)
    view = selectors.view_for_merchant(merchant, redemption_id)
    if view.redemption.state == "pending":
        services.check_payment(redemption=view.redemption)
        view = selectors.view_for_merchant(merchant, redemption_id)
    return redemption_out(view)


class ReturnItemIn(BaseModel):
    model_config = ConfigDict(strict=True)
    line_id: int = Field(ge=1, le=MAX_ID)
    quantity: int


class ReturnIn(BaseModel):
    model_config = ConfigDict(strict=True)
    reason: str = Field(max_length=255)
    # omitted: return everything not yet returned
    items: list[ReturnItemIn] | None = Field(None, max_length=200)


@router.post("/merchant/redemptions/{redemption_id}/returns",
             response={201: ReturnOut, **errors(401, 403, 404, 409, 503, body=True)},
             auth=bearer, summary="退货（全部或部分）", openapi_extra=openapi_doc())
def create_return(request: HttpRequest, payload: ReturnIn,
                  redemption_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    _merchant(request)
    goods_return = returns.return_goods(
        actor=request.user, redemption_id=redemption_id, reason=payload.reason,
        items=[i.model_dump() for i in payload.items] if payload.items is not None else None,
        idempotency_key=idempotency_key(request))
    return Status(201, return_out(goods_return))
