"""Every time in an API answer carries +08:00 (Asia/Shanghai), whether it came from the clock or
from the database (hostile input second round, F10; invariant 2)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.merchant_fixtures import aircon, code_of
from tests.redemptions.test_api import _token

pytestmark = pytest.mark.django_db
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def _times(value: Any, where: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _times(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [t for n, v in enumerate(value) for t in _times(v, f"{where}.{n}")]
    return [(where, value)] if isinstance(value, str) and TIME.match(value) else []


def _all_in_shanghai(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code < 300, response.content[:300]
    times = _times(json.loads(response.content))
    wrong = [(where, t) for where, t in times if not t.endswith("+08:00")]
    assert wrong == [], wrong
    return len(times)


def test_every_time_the_api_answers_is_in_shanghai_time(shop, holder, client):  # type: ignore[no-untyped-def]
    person = holder()
    consumer = {"HTTP_AUTHORIZATION": f"Bearer {person.token}"}
    till = {"HTTP_AUTHORIZATION": f"Bearer {_token(client, shop.till_user.phone)}"}
    seen = _all_in_shanghai(client.get("/api/v1/campaigns/current"))
    seen += _all_in_shanghai(client.get("/api/v1/me/vouchers", **consumer))
    sale = client.post("/api/v1/merchant/redemptions",
                       {"payment_code": code_of(person.voucher), "lines": [aircon()]},
                       content_type="application/json", **till)
    seen += _all_in_shanghai(sale)
    seen += _all_in_shanghai(client.get(f"/api/v1/merchant/redemptions/{sale.json()['id']}",
                                        **till))
    seen += _all_in_shanghai(client.post(
        f"/api/v1/merchant/redemptions/{sale.json()['id']}/returns", {"reason": "退货"},
        content_type="application/json", **till))
    assert seen >= 10


def test_a_fresh_claim_answers_in_shanghai_time(open_release, make_consumer, client):  # type: ignore[no-untyped-def]
    person = make_consumer()
    response = client.post(f"/api/v1/releases/{open_release.pk}/claims",
                           {"lat": 36.08, "lng": 111.52}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {person.token}")
    assert _all_in_shanghai(response) == 2


def test_the_campaign_pages_json_answers_are_in_shanghai_time(open_release, client):  # type: ignore[no-untyped-def]
    _all_in_shanghai(client.get(f"/m/releases/{open_release.pk}.json"))
    _all_in_shanghai(client.get("/healthz"))
