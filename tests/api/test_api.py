"""The JSON API end to end: codes and statuses are the contract (docs/api.md); never a 500."""

import re

import pytest

from huiquan.campaigns.models import Release
from huiquan.consumers.sms import latest_sandbox_message
from tests.conftest import BEIJING, INSIDE_LINFEN, NOTICE, make_id_number

pytestmark = pytest.mark.django_db
API = "/api/v1"


def post(client, path, body, token=None, key=None):
    headers = {}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(API + path, body, content_type="application/json", **headers)


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and set(body) == {"code", "message"}
    assert re.search(r"[\u4e00-\u9fff]", body["message"]), body


def sign_up(client, phone="13800138000", n=1, verify=True):
    assert post(client, "/auth/otp", {"phone": phone}).status_code == 200
    code = re.search(r"验证码是 (\d{6})", latest_sandbox_message(phone)).group(1)
    response = post(client, "/auth/verify", {"phone": phone, "code": code})
    assert response.status_code == 200
    token = response.json()["token"]
    if verify:
        response = post(client, "/me/identity", {"name": "张三", "id_number": make_id_number(n),
                                                 "privacy_consent": NOTICE}, token)
        assert response.status_code == 200 and response.json()["id_masked"].count("*") == 10
    return token


def test_sign_up_claim_and_see_the_payment_code(client, open_release):
    token = sign_up(client)
    response = post(client, f"/releases/{open_release.pk}/claims", INSIDE_LINFEN, token, "k1")
    assert response.status_code == 201
    voucher = response.json()
    assert voucher["state"] == "valid"
    assert re.fullmatch(r"[1-9]\d{17}", voucher["payment_code"])
    mine = client.get(f"{API}/me/vouchers", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert [v["id"] for v in mine] == [voucher["id"]]
    replay = post(client, f"/releases/{open_release.pk}/claims", INSIDE_LINFEN, token, "k1")
    assert replay.status_code == 201 and replay.json()["id"] == voucher["id"]
    assert_error(post(client, f"/releases/{open_release.pk}/claims", INSIDE_LINFEN, token, "k2"),
                 409, "ALREADY_CLAIMED")


def test_the_campaign_shows_what_is_left(client, open_release):
    body = client.get(f"{API}/campaigns/current").json()
    first = next(r for r in body["releases"] if r["id"] == open_release.pk)
    assert first["state"] == "open" and first["remaining_count"] == 150
    assert len(body["releases"]) == 6 and body["server_time"].startswith("2024-06-21T10:00")
    token = sign_up(client)
    post(client, f"/releases/{open_release.pk}/claims", INSIDE_LINFEN, token)
    body = client.get(f"{API}/campaigns/current").json()
    assert next(r for r in body["releases"] if r["id"] == open_release.pk)["remaining_count"] == 149


def test_auth_errors(client, clock):
    assert_error(post(client, "/auth/otp", {"phone": "12345"}), 422, "PHONE_INVALID")
    post(client, "/auth/otp", {"phone": "13800138000"})
    assert_error(post(client, "/auth/otp", {"phone": "13800138000"}), 429, "RATE_LIMITED")
    assert_error(post(client, "/auth/verify", {"phone": "13800138000", "code": "000000"
                                               if "000000" not in latest_sandbox_message(
                                                   "13800138000") else "111111"}),
                 401, "OTP_INVALID")
    assert_error(client.get(f"{API}/me/vouchers"), 401, "UNAUTHENTICATED")
    assert_error(client.get(f"{API}/me/vouchers", HTTP_AUTHORIZATION="Bearer forged"), 401,
                 "UNAUTHENTICATED")


@pytest.mark.parametrize("verified", [False, True])  # verified tokens are also kept in memory
def test_an_expired_token_is_refused(client, clock, campaign, verified):
    token = sign_up(client, verify=verified)
    assert client.get(f"{API}/me/vouchers", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    clock.advance(days=31)
    assert_error(client.get(f"{API}/me/vouchers", HTTP_AUTHORIZATION=f"Bearer {token}"), 401,
                 "UNAUTHENTICATED")


def test_identity_errors(client, campaign):
    token = sign_up(client, verify=False)
    assert_error(post(client, "/me/identity", {"name": "张三", "id_number": "141031198001011235",
                                             "privacy_consent": NOTICE},
                      token), 422, "ID_INVALID")
    other = sign_up(client, phone="13900139000", n=5)
    assert other
    assert_error(post(client, "/me/identity", {"name": "张三", "id_number": make_id_number(5),
                                             "privacy_consent": NOTICE},
                      token), 409, "ID_TAKEN")


@pytest.mark.parametrize("body, status, code", [
    (BEIJING, 403, "OUTSIDE_GEOFENCE"),
    ({"coord_system": "wgs84"}, 422, "LOCATION_REQUIRED"),
    ({"lat": "abc", "lng": 111.5}, 422, "INVALID_INPUT"),
    ({"lat": 36.08, "lng": 111.52, "coord_system": "bd09"}, 422, "LOCATION_INVALID"),
])
def test_claim_input_errors(client, open_release, body, status, code):
    token = sign_up(client)
    assert_error(post(client, f"/releases/{open_release.pk}/claims", body, token), status, code)


def test_claim_state_errors(client, open_release, clock):
    unverified = sign_up(client, phone="13700137000", verify=False)
    assert_error(post(client, f"/releases/{open_release.pk}/claims", INSIDE_LINFEN, unverified),
                 403, "NOT_VERIFIED")
    token = sign_up(client)
    assert_error(post(client, "/releases/999999/claims", INSIDE_LINFEN, token), 404,
                 "RELEASE_NOT_FOUND")
    clock.set("2024-06-21T09:59:59+08:00")
    assert_error(post(client, f"/releases/{open_release.pk}/claims", INSIDE_LINFEN, token), 409,
                 "RELEASE_NOT_OPEN")
    clock.set("2024-06-21T10:00:00+08:00")
    Release.objects.filter(pk=open_release.pk).update(remaining_count=0)
    assert_error(post(client, f"/releases/{open_release.pk}/claims", INSIDE_LINFEN, token), 409,
                 "SOLD_OUT")


def test_garbage_bodies_get_4xx_never_500(client, open_release):
    token = sign_up(client)
    response = client.post(f"{API}/releases/{open_release.pk}/claims", "not json",
                           content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    assert 400 <= response.status_code < 500
    response = client.post(f"{API}/auth/otp", "{", content_type="application/json")
    assert 400 <= response.status_code < 500


def test_the_openapi_document_lists_the_endpoints(client):
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    for path in ["/api/v1/auth/otp", "/api/v1/auth/verify", "/api/v1/me/identity",
                 "/api/v1/campaigns/current", "/api/v1/releases/{release_id}/claims",
                 "/api/v1/me/vouchers"]:
        assert path in paths


def test_the_claim_is_documented_and_answered_as_its_models_say(client, open_release):
    """The claim endpoint reads its body and renders its answer itself (huiquan/core/api_io.py):
    the document still names the body, and the answer fits the declared response model."""
    from huiquan.vouchers.api import ClaimIn, VoucherOut

    doc = client.get(f"{API}/openapi.json").json()["paths"]["/api/v1/releases/{release_id}/claims"]
    assert doc["post"]["requestBody"]["content"]["application/json"]["schema"] == \
        ClaimIn.model_json_schema()
    assert "201" in doc["post"]["responses"]
    token = sign_up(client)
    response = post(client, f"/releases/{open_release.pk}/claims", INSIDE_LINFEN, token)
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json; charset=utf-8"
    voucher = VoucherOut.model_validate(response.json())
    assert voucher.state == "valid" and voucher.payment_code


def test_the_openapi_document_names_the_idempotency_key_of_each_write(client):
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    writes = [("/api/v1/releases/{release_id}/claims", ["release_id"]),
              ("/api/v1/merchant/redemptions", []),
              ("/api/v1/merchant/redemptions/{redemption_id}/returns", ["redemption_id"])]
    for path, path_params in writes:
        params = paths[path]["post"]["parameters"]
        assert {(p["in"], p["name"]) for p in params} == {
            ("header", "Idempotency-Key"), *(("path", name) for name in path_params)}


def test_the_sold_out_short_cut_gives_the_apis_answers_without_the_database(client,
                                                                           open_release):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = sign_up(client)
    Release.objects.filter(pk=open_release.pk).update(remaining_count=0)
    url = f"/releases/{open_release.pk}/claims"
    assert_error(post(client, url, INSIDE_LINFEN, token), 409, "SOLD_OUT")  # learns it
    with CaptureQueriesContext(connection) as ctx:
        assert_error(post(client, url, INSIDE_LINFEN, token), 409, "SOLD_OUT")
        assert_error(post(client, url, {"coord_system": "wgs84"}, token), 422,
                     "LOCATION_REQUIRED")
    assert len(ctx.captured_queries) == 0
    # everything else takes the normal way and gets the normal answer
    assert_error(post(client, url, INSIDE_LINFEN, "forged"), 401, "UNAUTHENTICATED")
    assert_error(post(client, url, {"lat": "abc", "lng": 1}, token), 422, "INVALID_INPUT")
    assert_error(post(client, url, INSIDE_LINFEN, token, key="k"), 409, "SOLD_OUT")
