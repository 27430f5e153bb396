"""The resident's vouchers over the API (R-USE-1; hostile input second round, F9).

Served here rather than in vouchers/api.py: a voucher a till has reserved, its payment still in
flight, is "in_use" (使用中) and its payment code is not offered — and sales in flight are the
redemptions app's to know. Same path, tag and answer as the other voucher endpoints."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from huiquan.consumers.api import require_consumer
from huiquan.consumers.auth import bearer
from huiquan.core.api_io import errors
from huiquan.redemptions.selectors import vouchers_in_sale
from huiquan.vouchers.api import VoucherOut, voucher_out
from huiquan.vouchers.selectors import vouchers_of

router = Router(tags=["vouchers"])


@router.get("/me/vouchers", response={200: list[VoucherOut], **errors(401, 403)}, auth=bearer,
            summary="我的消费券")
def my_vouchers(request: HttpRequest) -> Any:
    consumer = require_consumer(request)
    vouchers = vouchers_of(consumer)
    in_sale = vouchers_in_sale([v.pk for v in vouchers if v.used_at is None])
    return [voucher_out(v, sale_pending=v.pk in in_sale) for v in vouchers]
