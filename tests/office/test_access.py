"""Who may open the back office (R-ROLE-1): staff roles only; everyone else gets a Chinese 403."""

import pytest

from huiquan.core.roles import Role

pytestmark = pytest.mark.django_db

PAGES = ["/office/", "/office/funds/", "/office/releases/", "/office/audit/", "/office/reconcile/"]
STAFF = [Role.BUREAU, Role.FINANCE, Role.REVIEWER, Role.AUDITOR, Role.MARKET, Role.ADMIN]


def _pages(release) -> list[str]:  # type: ignore[no-untyped-def]
    return [*PAGES, f"/office/releases/{release.pk}/"]


@pytest.mark.parametrize("role", STAFF)
def test_every_office_page_loads_for_every_staff_role(client, campaign, first_release,
                                                      make_user, role):
    client.force_login(make_user(role))
    for url in _pages(first_release):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "畅享家居·乐购隰州" in html
        assert 'class="main"' in html  # the nav
        assert Role(role).label in html  # the role label in the top bar


def test_anonymous_visitors_are_sent_to_log_in_with_the_page_to_come_back_to(client, campaign,
                                                                             first_release):
    for url in _pages(first_release):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/office/login/?next={url}"


@pytest.mark.parametrize("role", [Role.CONSUMER, Role.MERCHANT])
def test_a_non_staff_account_sees_no_office_page(client, campaign, first_release, make_user,
                                                 role):
    client.force_login(make_user(role))
    for url in _pages(first_release):
        response = client.get(url)
        assert response.status_code == 403, url
        html = response.content.decode()
        assert "后台仅限工作人员使用" in html
        assert "市级财政补贴" not in html and 'class="main"' not in html


def test_an_unknown_release_is_a_chinese_404(client, campaign, bureau):
    client.force_login(bureau)
    response = client.get("/office/releases/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "没有这个批次" in html and "NOT_FOUND" in html


def test_a_non_numeric_release_id_is_a_chinese_404(client, campaign, bureau):
    client.force_login(bureau)
    response = client.get("/office/releases/abc/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_the_demo_clock_and_sandbox_marker_are_shown(client, campaign, bureau, monkeypatch):
    from huiquan.core import clock

    monkeypatch.setattr(clock, "is_demo_clock", lambda: True)
    client.force_login(bureau)
    html = client.get("/office/").content.decode()
    assert "演示时钟 2024-06-15 09:00:00（Asia/Shanghai）" in html
    assert "演示环境" in html


def test_pages_that_only_read_refuse_other_methods(client, campaign, bureau):
    client.force_login(bureau)
    for url in ["/office/", "/office/releases/", "/office/audit/", "/office/reconcile/"]:
        assert client.post(url).status_code == 405


def test_a_refusal_outside_the_office_gets_a_plain_page_without_office_navigation(rf, auditor):
    from django.template.loader import render_to_string

    from huiquan.core.errors import DomainError
    from huiquan.core.middleware import error_page

    request = rf.post("/m/claim/")
    request.user = auditor
    html = render_to_string(error_page(request.path),
                            {"error": DomainError("审计角色为只读", code="READ_ONLY", status=403)},
                            request=request)
    assert "审计角色为只读" in html and "READ_ONLY" in html
    assert "后台导航" not in html and "返回活动页" in html
