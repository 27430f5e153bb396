"""Headers (issue 11, item 9): a Content-Security-Policy on every page with no inline code,
``Cache-Control: no-store`` on signed-in pages and PDFs, /api/docs from local files only, a
favicon. The browser side (no CSP violation on any page) is tests/e2e/test_pages_under_csp.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from huiquan.core.roles import Role
from tests.merchant_fixtures import aircon, redeem_at

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
CSP = "Content-Security-Policy"


def policy(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    header = response[CSP]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


# --- Content-Security-Policy --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/m/login/", "/merchant/login/", "/office/login/",
                                  "/admin/login/", "/api/v1/docs", "/api/v1/openapi.json",
                                  "/healthz", "/no-such-page/"])
def test_every_answer_carries_a_policy_without_inline_code(client, campaign, path):
    response = client.get(path)
    assert response.status_code in {200, 404}
    directives = policy(response)
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in response[CSP] and "unsafe-eval" not in response[CSP]


def test_signed_in_pages_carry_the_policy_too(client, campaign, bureau):
    client.force_login(bureau)
    assert "script-src 'self'" in client.get("/office/")[CSP]


TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
TEMPLATE_CODE = re.compile(r"{%.*?%}|{#.*?#}|{{.*?}}", re.S)


def templates() -> list[Path]:
    return sorted((ROOT / "huiquan").rglob("templates/**/*.html"))


@pytest.mark.parametrize("template", templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_holds_inline_script_handlers_or_styles(template):
    """The policy forbids inline code; a template that brought some back would break its page."""
    html = TEMPLATE_CODE.sub("", template.read_text())
    for tag in TAG.findall(html):
        name = tag[1:].split(None, 1)[0].lower().rstrip(">")
        attributes = tag[len(name) + 1:]
        assert not re.search(r"\son[a-z]+\s*=", attributes), (template.name, tag)
        assert not re.search(r"\sstyle\s*=", attributes), (template.name, tag)
        assert "javascript:" not in attributes, (template.name, tag)
        if name == "script":
            assert " src=" in tag or 'type="application/json"' in tag, (template.name, tag)
        assert name != "style", (template.name, tag)


# --- Cache-Control: no-store --------------------------------------------------------------------


def assert_no_store(response) -> None:  # type: ignore[no-untyped-def]
    assert "no-store" in response["Cache-Control"], response.get("Cache-Control")


def test_the_office_pages_are_not_stored(client, campaign, bureau):
    client.force_login(bureau)
    for path in ["/office/", "/office/funds/", "/office/audit/", "/"]:
        assert_no_store(client.get(path))


def test_the_admin_pages_are_not_stored(client, make_user):
    admin = make_user(Role.ADMIN, username="root-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert_no_store(client.get("/admin/core/user/"))


def test_the_residents_voucher_and_payment_code_are_not_stored(client, holder):
    resident = holder()
    client.force_login(resident.user)
    assert_no_store(client.get("/"))
    assert_no_store(client.get("/m/paycode.json"))


def test_api_answers_to_a_bearer_token_are_not_stored(client, holder):
    resident = holder()
    response = client.get("/api/v1/me/vouchers", HTTP_AUTHORIZATION=f"Bearer {resident.token}")
    assert response.status_code == 200
    assert_no_store(response)


def test_the_till_the_receipt_and_the_confirmation_pdf_are_not_stored(client, shop, holder):
    redemption = redeem_at(shop, holder().voucher, [aircon()])
    client.force_login(shop.till_user)
    assert_no_store(client.get("/merchant/till/"))
    assert_no_store(client.get(f"/merchant/redemptions/{redemption.pk}/"))
    pdf = client.get(f"/merchant/redemptions/{redemption.pk}/confirmation.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert_no_store(pdf)


def test_a_pdf_is_not_stored_even_without_a_session_cookie(rf):
    from django.http import HttpResponse

    from huiquan.core.headers import NoStoreWhenSignedIn

    middleware = NoStoreWhenSignedIn(lambda request: HttpResponse(b"%PDF-1.7",
                                                                   content_type="application/pdf"))
    assert_no_store(middleware(rf.get("/x.pdf")))


# --- /api/docs offline, footers, favicon --------------------------------------------------------


def test_api_docs_load_only_files_of_this_site(client):
    response = client.get("/api/docs", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    for asset in ["ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js",
                  "ninja/swagger-ui.css"]:
        assert finders.find(asset), asset
        assert f"/static/{asset}" in sources


@pytest.mark.parametrize("path", ["/", "/merchant/login/"])
def test_public_footers_do_not_send_residents_to_the_api_docs(client, campaign, path):
    assert "/api/docs" not in client.get(path).content.decode()


@pytest.mark.parametrize("path", ["/", "/m/login/", "/merchant/login/", "/office/login/",
                                  "/admin/login/", "/api/v1/docs", "/no-such-page/"])
def test_every_base_template_links_the_favicon(client, campaign, path):
    assert "/static/core/favicon.ico" in client.get(path).content.decode()


def test_the_error_pages_link_the_favicon_and_their_stylesheet():
    from django.template.loader import render_to_string

    for name in ["500.html", "403_csrf.html", "404.html"]:
        html = render_to_string(name)
        assert "core/favicon.ico" in html and "core/plain.css" in html, name


def test_favicon_ico_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
