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
