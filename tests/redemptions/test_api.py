"""The till over the API: merchant staff sign in with the same OTP endpoints, redeem, look up,
return; a merchant token sees only its own redemptions."""

from __future__ import annotations

import pytest

from tests.merchant_fixtures import aircon, code_of


def _token(client, phone: str) -> str:  # type: ignore[no-untyped-def]
    from huiquan.consumers.sms import latest_sandbox_message

    assert client.post("/api/v1/auth/otp", {"phone": phone}, content_type="application/json"
                       ).status_code == 200
    code = latest_sandbox_message(phone).split("验证码是 ")[1][:6]
    body = client.post("/api/v1/auth/verify", {"phone": phone, "code": code},
                       content_type="application/json").json()
    assert body["role"] == "merchant"
    return str(body["token"])


@pytest.fixture
def tills(make_merchant, catalog, client):  # type: ignore[no-untyped-def]
    a, b = make_merchant(), make_merchant()
    return ({"HTTP_AUTHORIZATION": f"Bearer {_token(client, a.till_user.phone)}"},
            {"HTTP_AUTHORIZATION": f"Bearer {_token(client, b.till_user.phone)}"})


def test_redeem_get_and_return_over_the_api(tills, holder, client):  # type: ignore[no-untyped-def]
    mine, theirs = tills
    person = holder()
    body = {"payment_code": code_of(person.voucher), "lines": [aircon(500_000, 20_000)]}
    created = client.post("/api/v1/merchant/redemptions", body, content_type="application/json",
                          HTTP_IDEMPOTENCY_KEY="k-1", **mine)
    assert created.status_code == 201, created.json()
    r = created.json()
    assert (r["subsidy_fen"], r["consumer_pays_fen"], r["state"]) == (48_000, 432_000, "completed")
    replay = client.post("/api/v1/merchant/redemptions", body, content_type="application/json",
                         HTTP_IDEMPOTENCY_KEY="k-1", **mine)
    assert replay.json()["id"] == r["id"]
    again = client.post("/api/v1/merchant/redemptions", body, content_type="application/json",
                        **mine)
    assert (again.status_code, again.json()["code"]) == (409, "VOUCHER_USED")
    assert client.get(f"/api/v1/merchant/redemptions/{r['id']}", **mine).status_code == 200
    other = client.get(f"/api/v1/merchant/redemptions/{r['id']}", **theirs)
    assert (other.status_code, other.json()["code"]) == (404, "REDEMPTION_NOT_FOUND")
    ret = client.post(f"/api/v1/merchant/redemptions/{r['id']}/returns",
                      {"reason": "顾客退货"}, content_type="application/json", **mine)
    assert ret.status_code == 201 and ret.json()["refund_fen"] == 432_000
    too_much = client.post(f"/api/v1/merchant/redemptions/{r['id']}/returns",
                           {"reason": "再退"}, content_type="application/json", **mine)
    assert too_much.json()["code"] == "RETURN_TOO_LARGE"


def test_consumer_token_cannot_redeem(holder, client, catalog):  # type: ignore[no-untyped-def]
    person = holder()
    response = client.post("/api/v1/merchant/redemptions",
                           {"payment_code": code_of(person.voucher), "lines": [aircon()]},
                           content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {person.token}")
    assert (response.status_code, response.json()["code"]) == (403, "MERCHANT_NOT_APPROVED")


def test_malformed_body_is_a_422_not_a_500(tills, client):  # type: ignore[no-untyped-def]
    mine, _ = tills
    response = client.post("/api/v1/merchant/redemptions", {"payment_code": 5, "lines": "x"},
                           content_type="application/json", **mine)
    assert response.status_code == 422 and response.json()["code"] == "INVALID_INPUT"
