"""A resident stays signed in for weeks, staff for hours; both can be ended (issue 16, item 3).
The ID's area-code note is for staff, never the resident (item 4)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from huiquan.consumers import services
from huiquan.consumers.models import ApiToken
from huiquan.consumers.services import RESIDENT_SESSION
from huiquan.consumers.sms import latest_sandbox_message
from huiquan.core.errors import PermissionRefused
from tests.conftest import NOTICE

pytestmark = pytest.mark.django_db
AREA_141031_BORN_1980 = "141031198001011231"  # valid; stdnum's table has 141031 only from 2000


def sign_in_by_page(client: Client, phone: str) -> None:
    client.post("/m/login/", {"step": "send", "phone": phone})
    code = re.search(r"验证码是 (\d{6})", latest_sandbox_message(phone)).group(1)
    response = client.post("/m/login/", {"step": "verify", "phone": phone, "code": code})
    assert response.status_code == 302


def test_a_resident_sign_in_lasts_thirty_days_and_survives_closing_the_browser(db):
    client = Client()
    sign_in_by_page(client, "13812349999")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == int(RESIDENT_SESSION.total_seconds())  # not a session cookie
    assert client.session.get_expiry_age() == int(RESIDENT_SESSION.total_seconds())
    assert not client.session.get_expire_at_browser_close()


def test_staff_sessions_stay_short_and_end_with_the_browser(bureau):
    client = Client()
    response = client.post("/office/login/", {"username": bureau.username,
                                              "password": "a-long-test-pass-1"})
    assert response.status_code == 302
    assert client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == 8 * 3600
    assert not client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]


def test_signing_out_everywhere_ends_every_session_and_token(make_consumer):
    session = make_consumer()
    phone, other = Client(), Client()
    phone.force_login(session.user)
    other.force_login(session.user)
    assert "退出登录" in other.get("/").content.decode()
    phone.post("/m/logout/", {"everywhere": "1"})
    assert "退出登录" not in other.get("/").content.decode()  # the other device is out too
    assert ApiToken.objects.filter(user=session.user, revoked_at__isnull=True).count() == 0


def test_signing_out_everywhere_is_not_for_staff(bureau):
    with pytest.raises(PermissionRefused) as refused:
        services.sign_out_everywhere(user=bureau)
    assert refused.value.code == "FORBIDDEN"


def test_the_area_code_note_goes_to_staff_not_to_the_resident(make_consumer, make_user):
    session = make_consumer(verified=False)
    client = Client()
    client.force_login(session.user)
    response = client.post("/m/identity/", {"name": "张三", "id_number": AREA_141031_BORN_1980,
                                            "consent": "on", "consent_version": NOTICE},
                           follow=True)
    page = response.content.decode()
    assert "实名认证完成" in page and "地区码" not in page
    from huiquan.core.roles import Role

    admin = make_user(Role.ADMIN, username="sysadmin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    staff = Client()
    staff.force_login(admin)
    listing = staff.get("/admin/consumers/consumer/").content.decode()
    assert "地区码不在行政区划表中" in listing  # the staff's view has it
    assert AREA_141031_BORN_1980 not in listing  # masked there too


def test_the_api_gives_the_resident_no_area_code_warning(make_consumer):
    session = make_consumer(verified=False)
    response = Client().post("/api/v1/me/identity", {
        "name": "张三", "id_number": AREA_141031_BORN_1980, "privacy_consent": NOTICE},
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {session.token}")
    assert response.status_code == 200
    assert response.json()["warnings"] == []
