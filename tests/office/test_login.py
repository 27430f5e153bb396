"""Logging in and out of the back office; the lock-out after five wrong passwords (axes)."""

import pytest

from huiquan.core.roles import Role

pytestmark = pytest.mark.django_db
PASSWORD = "right-password-123"


def test_the_right_password_opens_the_office(client, campaign, make_user):
    make_user(Role.BUREAU, username="li", password=PASSWORD)
    response = client.post("/office/login/", {"username": "li", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/office/"
    assert "资金（按来源）" in response.content.decode()


def test_a_wrong_password_is_refused_in_chinese(client, campaign, make_user):
    make_user(Role.BUREAU, username="li", password=PASSWORD)
    response = client.post("/office/login/", {"username": "li", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的用户名和密码" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_login_page_sends_back_to_the_page_asked_for(client, campaign, make_user):
    make_user(Role.FINANCE, username="qian", password=PASSWORD)
    response = client.post("/office/login/?next=/office/funds/",
                           {"username": "qian", "password": PASSWORD, "next": "/office/funds/"})
    assert response.status_code == 302 and response["Location"] == "/office/funds/"


def test_a_consumer_account_gets_no_office_session(client, campaign, make_user):
    make_user(Role.CONSUMER, username="wang", password=PASSWORD)
    response = client.post("/office/login/", {"username": "wang", "password": PASSWORD})
    assert response.status_code == 200
    assert "后台仅限工作人员使用" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_logged_in_staff_member_is_not_shown_the_login_form_again(client, campaign, bureau):
    client.force_login(bureau)
    assert client.get("/office/login/")["Location"] == "/office/"
    # ?next= pointing at the login page itself: no redirect loop, no 500
    response = client.get("/office/login/?next=/office/login/")
    assert response.status_code == 302 and response["Location"] == "/office/"


def test_login_locks_after_five_wrong_passwords_even_for_the_right_one(client, campaign,
                                                                         make_user):
    make_user(Role.BUREAU, username="zhang", password=PASSWORD)
    for _ in range(5):
        client.post("/office/login/", {"username": "zhang", "password": "wrong"})
    response = client.post("/office/login/", {"username": "zhang", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 429
    assert "账号已暂时锁定" in html and "15 分钟" in html
    assert "_auth_user_id" not in client.session
    assert client.get("/office/").status_code == 302  # still not logged in


def test_logout_is_a_post_and_ends_the_session(client, campaign, bureau):
    client.force_login(bureau)
    assert client.get("/office/logout/").status_code == 405
    response = client.post("/office/logout/")
    assert response.status_code == 302 and response["Location"] == "/office/login/"
    assert client.get("/office/")["Location"].startswith("/office/login/")


def test_the_auditor_may_still_log_out(client, campaign, auditor):
    client.force_login(auditor)
    assert client.post("/office/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
