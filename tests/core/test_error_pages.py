"""Bad input gets a clear Chinese page, never Django's English defaults (invariant 8)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_unknown_address_gets_a_chinese_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_a_form_without_its_csrf_token_gets_a_chinese_403(campaign):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/m/login/", {"step": "send", "phone": "13800138000"})
    assert response.status_code == 403 and "页面已过期" in response.content.decode()


# --- hostile input second round, F12: every status outside the API is a light Chinese page ------

def _chinese_page(response, status: int, words: str) -> None:  # type: ignore[no-untyped-def]
    page = response.content.decode()
    assert response.status_code == status, page[:200]
    assert response["Content-Type"].startswith("text/html")
    assert words in page and 'lang="zh-Hans"' in page and 'href="/"' in page
    assert "Bad Request" not in page and "Forbidden" not in page and "Server Error" not in page
    assert len(response.content) < 4096  # light: no shell, no script


def test_a_bad_host_header_gets_a_chinese_400(campaign):
    _chinese_page(Client(raise_request_exception=False).get("/", HTTP_HOST="evil.example.com"),
                  400, "请求无法处理")


@pytest.mark.urls("tests.core.error_urls")
def test_bad_request_forbidden_and_a_bug_get_chinese_pages():
    client = Client(raise_request_exception=False)
    _chinese_page(client.get("/malformed/"), 400, "请求无法处理")
    _chinese_page(client.get("/refuse/"), 403, "没有权限")
    _chinese_page(client.get("/broken/"), 500, "系统暂时出了问题")
    response = client.get("/post-only/")
    _chinese_page(response, 405, "无法这样打开")
    assert response["Allow"] == "POST"


def test_a_get_to_a_post_only_page_gets_a_chinese_405(campaign):
    response = Client().get("/m/claim/")
    _chinese_page(response, 405, "无法这样打开")
    assert response["Allow"] == "POST"


def test_the_api_keeps_its_json_405(campaign):
    response = Client().get("/api/v1/auth/otp")
    assert response.status_code == 405 and response.json()["code"] == "METHOD_NOT_ALLOWED"


def test_the_csrf_page_is_light_and_links_home(campaign):
    strict = Client(enforce_csrf_checks=True)
    _chinese_page(strict.post("/m/login/", {"step": "send", "phone": "13800138000"}), 403,
                  "页面已过期")
