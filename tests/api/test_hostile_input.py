"""No 500 on any input (issue 11, item 3; invariant 8): the known hostile cases, each answered
with a documented code — JSON under /api/, a page or a form error elsewhere."""

from __future__ import annotations

import json

import pytest

from huiquan.core.api_edge import MAX_API_BODY
from tests.merchant_fixtures import aircon, code_of
from tests.redemptions.test_api import _token

pytestmark = pytest.mark.django_db
HUGE = str(2**64)  # above the largest id the database holds (2^63 - 1)


@pytest.fixture
def till(make_merchant, catalog, client):  # type: ignore[no-untyped-def]
    shop = make_merchant()
    shop.headers = {"HTTP_AUTHORIZATION": f"Bearer {_token(client, shop.till_user.phone)}"}
    return shop


def _json(response) -> dict:  # type: ignore[no-untyped-def]
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return json.loads(response.content)


@pytest.mark.parametrize("path", [
    f"/api/v1/merchant/redemptions/{HUGE}",
    f"/api/v1/merchant/redemptions/{'9' * 40}",
])
def test_an_id_above_2_63_in_an_api_path_is_invalid_input(till, client, path):  # type: ignore[no-untyped-def]
    response = client.get(path, **till.headers)
    assert response.status_code == 422 and _json(response)["code"] == "INVALID_INPUT"


def test_an_id_above_2_63_in_returns_and_claims_is_invalid_input(till, holder, client):  # type: ignore[no-untyped-def]
    person = holder()
    for path, headers in ((f"/api/v1/merchant/redemptions/{HUGE}/returns", till.headers),
                          (f"/api/v1/releases/{HUGE}/claims",
                           {"HTTP_AUTHORIZATION": f"Bearer {person.token}"})):
        response = client.post(path, {"reason": "x", "lat": 36.08, "lng": 111.52},
                               content_type="application/json", **headers)
        assert response.status_code == 422 and _json(response)["code"] == "INVALID_INPUT"


@pytest.mark.parametrize("page", [f"/merchant/redemptions/{HUGE}/", f"/office/releases/{HUGE}/",
                                  f"/office/merchants/{HUGE}/", f"/merchant/redemptions/{HUGE}/"
                                  "confirmation.pdf"])
def test_an_id_above_2_63_in_a_page_address_is_not_found(till, client, bureau, page):  # type: ignore[no-untyped-def]
    client.force_login(bureau if page.startswith("/office/") else till.till_user)
    assert client.get(page).status_code == 404


def test_the_claim_form_with_a_huge_or_odd_release_id_says_no_such_release(holder, client):  # type: ignore[no-untyped-def]
    from huiquan.consumers.selectors import consumer_of

    person = holder()
    client.force_login(person.user)
    for release in (HUGE, "١", "x", ""):
        response = client.post("/m/claim/", {"release": release, "lat": "36.08", "lng": "111.52"})
        assert response.status_code == 302
        assert client.session["claim_error"]["code"] == "RELEASE_NOT_FOUND"
    assert consumer_of(person.user) is not None


@pytest.mark.parametrize("code", ["١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨", "12345678901234567²", "𝟏" * 18, "",
                                  "1" * 300])
def test_a_payment_code_in_other_digits_is_refused_not_a_crash(till, client, code):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/merchant/redemptions",
                           {"payment_code": code, "lines": [aircon()]},
                           content_type="application/json", **till.headers)
    assert response.status_code == 422
    assert _json(response)["code"] in {"PAYMENT_CODE_INVALID", "INVALID_INPUT"}


def test_a_fullwidth_or_spaced_payment_code_is_the_same_code(till, holder, client):  # type: ignore[no-untyped-def]
    person = holder()
    code = code_of(person.voucher)
    spaced = " ".join(code[i:i + 4] for i in range(0, 18, 4))
    fullwidth = spaced.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    response = client.post("/api/v1/merchant/redemptions",
                           {"payment_code": fullwidth, "lines": [aircon()]},
                           content_type="application/json", **till.headers)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("body", "content_type"), [
    (b"{not json", "application/json"),
    (b"[1, 2", "application/json"),
    (b"phone=13800138000", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00", "application/json"),
    (b"[" * 50_000 + b"]" * 50_000, "application/json"),
])
def test_malformed_json_or_a_wrong_content_type_is_invalid_input(client, campaign, body,  # type: ignore[no-untyped-def]
                                                                 content_type):
    response = client.post("/api/v1/auth/otp", body, content_type=content_type)
    assert response.status_code in (400, 422) and _json(response)["code"] == "INVALID_INPUT"


def test_a_body_over_the_limit_is_body_too_large(client, campaign):  # type: ignore[no-untyped-def]
    body = json.dumps({"phone": "1" * (MAX_API_BODY + 1)})
    response = client.post("/api/v1/auth/otp", body, content_type="application/json")
    assert response.status_code == 413 and _json(response)["code"] == "BODY_TOO_LARGE"


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("get", "/api/v1/no-such-thing", 404, "NOT_FOUND"),
    ("post", "/api/v1/no-such-thing", 404, "NOT_FOUND"),
    ("get", "/api/v2/campaigns/current", 404, "NOT_FOUND"),
    ("get", "/api/", 404, "NOT_FOUND"),
    ("delete", "/api/v1/auth/otp", 405, "METHOD_NOT_ALLOWED"),
    ("put", "/api/v1/no-such-thing", 404, "NOT_FOUND"),
    ("delete", "/api/v1/no-such-thing", 404, "NOT_FOUND"),
    ("post", "/api/openapi.json", 404, "NOT_FOUND"),
    ("post", "/api/v1/openapi.json", 405, "METHOD_NOT_ALLOWED"),
    ("put", "/api/v1/openapi.json", 405, "METHOD_NOT_ALLOWED"),
    ("delete", "/api/v1/openapi.json", 405, "METHOD_NOT_ALLOWED"),
    ("post", "/api/docs", 405, "METHOD_NOT_ALLOWED"),
    ("delete", "/api/docs", 405, "METHOD_NOT_ALLOWED"),
    ("post", "/api/v1/docs", 405, "METHOD_NOT_ALLOWED"),
    ("put", "/api/v1/docs", 405, "METHOD_NOT_ALLOWED"),
    ("patch", "/api/v1/campaigns/current", 405, "METHOD_NOT_ALLOWED"),
    ("get", "/api/v1/merchant/redemptions", 405, "METHOD_NOT_ALLOWED"),
])
def test_unknown_routes_and_methods_under_api_answer_json(client, campaign, method, path, status,  # type: ignore[no-untyped-def]
                                                          code):
    response = getattr(client, method)(path)
    assert response.status_code == status and _json(response)["code"] == code
    if status == 405:
        assert response.has_header("Allow")


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_the_api_documents_are_still_served_to_get(client, campaign, path):  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 200
    assert client.get("/api/docs")["Location"] == "/api/v1/docs"


def test_a_method_not_allowed_still_says_which_are(client, campaign):  # type: ignore[no-untyped-def]
    response = client.delete("/api/v1/auth/otp")
    assert response["Allow"] == "POST"


def test_claims_refuse_an_idempotency_key_over_64_characters(holder, client, open_release):  # type: ignore[no-untyped-def]
    from huiquan.vouchers.models import IdempotentRequest

    person = holder()
    fresh_release = open_release.pk
    response = client.post(f"/api/v1/releases/{fresh_release}/claims",
                           {"lat": 36.08, "lng": 111.52}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {person.token}",
                           HTTP_IDEMPOTENCY_KEY="k" * 65)
    assert response.status_code == 422 and _json(response)["code"] == "INVALID_INPUT"
    assert not IdempotentRequest.objects.filter(key__startswith="kkkk").exists()


def test_a_number_sent_as_text_is_not_taken_for_a_number(till, holder, client):  # type: ignore[no-untyped-def]
    """The document says integer: "1" is refused as the document says, not coerced."""
    person = holder()
    response = client.post("/api/v1/merchant/redemptions",
                           {"payment_code": code_of(person.voucher),
                            "lines": [{**aircon(), "quantity": "1"}]},
                           content_type="application/json", **till.headers)
    assert response.status_code == 422 and _json(response)["code"] == "INVALID_INPUT"


def test_the_returns_form_reads_superscripts_and_refuses_other_digits(till, holder, client):  # type: ignore[no-untyped-def]
    from huiquan.redemptions.services import redeem_voucher

    person = holder()
    sale = redeem_voucher(actor=till.till_user, payment_code=code_of(person.voucher),
                          lines=[aircon(quantity=3)])
    line = sale.lines.get()
    client.force_login(till.till_user)
    for typed in ("٢", "9" * 40, "-1", "²x"):
        response = client.post(f"/merchant/redemptions/{sale.pk}/return/",
                               {f"return_{line.pk}": typed, "reason": "不合适"}, follow=True)
        assert response.status_code == 200 and not sale.returns.exists(), typed
    response = client.post(f"/merchant/redemptions/{sale.pk}/return/",
                           {f"return_{line.pk}": "¹", "reason": "不合适"}, follow=True)
    assert response.status_code == 200 and sale.returns.get().items[0]["quantity"] == 1


@pytest.mark.parametrize("value", ["²", "٣٠٠", "9" * 40, "1e5", "NaN", "-0"])
def test_office_forms_answer_odd_numbers_with_a_form_error(client, campaign, finance, bureau,  # type: ignore[no-untyped-def]
                                                           value):
    city = campaign.funding_sources.get(code="city")
    client.force_login(finance)
    response = client.post("/office/funds/", {"source": city.pk, "amount": value,
                                              "reference": "x"})
    assert response.status_code < 500, value
    for source in (HUGE, "²", "١"):
        response = client.post("/office/funds/", {"source": source, "amount": "1",
                                                  "reference": "x"})
        assert response.status_code < 500, source
    release = campaign.periods.get(number=1).releases.get(number=1)
    client.force_login(bureau)
    response = client.post(f"/office/releases/{release.pk}/", {"amount": "1",
                                                               "voucher_count": value})
    assert response.status_code < 500, value


def test_even_a_bug_under_api_answers_json_not_a_page(client, campaign, monkeypatch):  # type: ignore[no-untyped-def]
    from huiquan.catalog import selectors

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "product_by_gtin", broken)
    client.raise_request_exception = False
    response = client.get("/api/v1/catalog/products", {"gtin": "6900000000014"})
    assert response.status_code == 500 and _json(response)["code"] == "SERVER_ERROR"
