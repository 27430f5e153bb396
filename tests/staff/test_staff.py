"""Staff accounts (issue 11, item 8; R-ROLE-1): `huiquan staff add|link|disable|list`, the
set-password link end to end in /office/, and /admin/ for the system admin role only."""

from __future__ import annotations

import re

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.cli import main
from huiquan.core.errors import DomainError
from huiquan.core.models import User
from huiquan.core.roles import Role
from huiquan.staff import services as staff

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "qiuyue-2024-xian"


def add(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(["staff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def link_in(out: str) -> str:
    match = re.search(r"https?://[^/\s]+(/office/set-password/\S+)", out)
    assert match, out
    return match.group(1)


def set_password(client, path: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    form_page = client.get(path)
    assert form_page.status_code == 302  # the token leaves the URL for the session at once
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert form_page["Location"].endswith("/set-password/") and token not in form_page["Location"]
    return client.post(form_page["Location"], {"new_password1": password,
                                               "new_password2": password})


def test_staff_add_prints_a_link_that_sets_a_password_then_the_office_opens(
        client, campaign, capsys):
    code, out, err = add(capsys, "add", "li.si", "--role", "finance", "--name", "李四",
                         "--org", "隰县财政局", "--phone", "１３８ ０３５７ ０００１")
    assert code == 0, err
    user = User.objects.get(username="li.si")
    assert (user.role, user.display_name, user.organisation, user.phone) == (
        Role.FINANCE, "李四", "隰县财政局", "13803570001")
    assert not user.has_usable_password() and not user.is_staff
    path = link_in(out)

    done = set_password(client, path)
    assert done.status_code == 302 and done["Location"] == "/office/login/"
    login = client.post("/office/login/", {"username": "li.si", "password": NEW_PASSWORD})
    assert login.status_code == 302 and login["Location"] == "/office/"
    assert client.get("/office/").status_code == 200

    client.logout()
    again = client.get(path)  # the link worked once: the password hash it covered is gone
    assert again.status_code == 200 and "链接无效或已过期" in again.content.decode()
    actions = list(AuditEntry.objects.filter(object_type="user", object_id=str(user.pk)).values_list(
        "action", "actor_name"))
    assert actions == [("staff.add", "system"), ("staff.password_set", "li.si")]
    entry = AuditEntry.objects.get(action="staff.add")
    assert entry.after["via"] == "command line" and "password" not in str(entry.after)


def test_the_password_must_pass_the_validators(client, campaign, capsys):
    _, out, _ = add(capsys, "add", "zhao", "--role", "bureau", "--name", "赵六",
                    "--org", "隰县工信和科技局")
    response = set_password(client, link_in(out), password="12345678")
    assert response.status_code == 200
    assert not User.objects.get(username="zhao").has_usable_password()


@pytest.mark.parametrize("role", ["consumer", "merchant", "boss"])
def test_phone_roles_and_unknown_roles_get_no_office_account(capsys, role):
    with pytest.raises(SystemExit):  # argparse: not one of the office roles
        add(capsys, "add", "x", "--role", role, "--name", "某", "--org", "某单位")
    with pytest.raises(DomainError) as refused:
        staff.add_staff(username="x", role=role, display_name="某", organisation="某单位")
    assert refused.value.code == "ROLE_INVALID"
    assert not User.objects.filter(username="x").exists()


@pytest.mark.parametrize(("field", "value", "code"), [
    ("phone", "١٣٨٠٣٥٧٠٠٠١", "PHONE_INVALID"),  # Arabic-Indic digits are not ASCII digits
    ("phone", "2380357000１", "PHONE_INVALID"),
    ("username", "c13803570001", "USERNAME_INVALID"),  # a phone sign-in user's name
    ("username", "li si", "USERNAME_INVALID"),
    ("display_name", "  ", "NAME_INVALID"),
    ("organisation", "", "ORGANISATION_INVALID"),
])
def test_bad_fields_are_refused_with_their_code(field, value, code):
    fields = {"username": "wang", "role": "market", "display_name": "王五",
              "organisation": "隰县市场监管局", "phone": ""}
    with pytest.raises(DomainError) as refused:
        staff.add_staff(**{**fields, field: value})
    assert refused.value.code == code
    assert not User.objects.exists()


def test_a_taken_user_name_is_one_line_on_stderr(capsys):
    add(capsys, "add", "wang", "--role", "market", "--name", "王五", "--org", "隰县市场监管局")
    code, out, err = add(capsys, "add", "wang", "--role", "bureau", "--name", "王五",
                         "--org", "隰县工信和科技局")
    assert code == 2 and err.strip() == "错误：用户名 wang 已被使用" and out == ""
    assert User.objects.get(username="wang").role == Role.MARKET


def test_only_a_system_admin_may_be_named_as_the_actor(capsys, bureau, make_user):
    code, _, err = add(capsys, "add", "wang", "--role", "market", "--name", "王五",
                       "--org", "隰县市场监管局", "--as", bureau.username)
    assert code == 2 and "系统管理员" in err
    admin = make_user(Role.ADMIN, username="root-admin")
    code, _, _ = add(capsys, "add", "wang", "--role", "market", "--name", "王五",
                     "--org", "隰县市场监管局", "--as", admin.username)
    assert code == 0
    assert AuditEntry.objects.get(action="staff.add").actor_name == "root-admin"


def test_disable_ends_sessions_and_tokens_and_is_recorded_once(client, campaign, capsys,
                                                               make_user):
    from huiquan.consumers.models import ApiToken
    from huiquan.core import clock

    user = make_user(Role.REVIEWER, username="shen", password="a-long-test-pass-1")
    now = clock.now()
    ApiToken.objects.create(user=user, key_hash="h" * 64, created_at=now,
                            expires_at=now.replace(year=now.year + 1))
    client.post("/office/login/", {"username": "shen", "password": "a-long-test-pass-1"})
    assert client.get("/office/").status_code == 200

    code, out, _ = add(capsys, "disable", "shen")
    assert code == 0 and "已停用" in out
    assert client.get("/office/").status_code == 302  # the open session is over
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert ApiToken.objects.get(user=user).revoked_at is not None
    assert client.post("/office/login/", {"username": "shen",
                                          "password": "a-long-test-pass-1"}).status_code == 200

    code, out, _ = add(capsys, "disable", "shen")
    assert code == 0 and "早已停用" in out
    assert AuditEntry.objects.filter(action="staff.disable").count() == 1


def test_a_link_for_a_disabled_account_does_not_work(client, capsys):
    _, out, _ = add(capsys, "add", "zhou", "--role", "auditor", "--name", "周八",
                    "--org", "隰县审计局")
    add(capsys, "disable", "zhou")
    response = client.get(link_in(out))
    assert response.status_code == 200 and "链接无效或已过期" in response.content.decode()


def test_link_voids_the_old_password_and_gives_a_new_link(client, campaign, capsys, make_user):
    make_user(Role.BUREAU, username="sun", password="a-long-test-pass-1")
    client.post("/office/login/", {"username": "sun", "password": "a-long-test-pass-1"})
    code, out, _ = add(capsys, "link", "sun")
    assert code == 0
    assert client.get("/office/").status_code == 302  # the session of the old password ended
    assert client.post("/office/login/", {"username": "sun",
                                          "password": "a-long-test-pass-1"}).status_code == 200
    set_password(client, link_in(out))
    assert client.post("/office/login/", {"username": "sun",
                                          "password": NEW_PASSWORD}).status_code == 302


def test_list_shows_role_name_organisation_state_and_last_login(client, campaign, capsys,
                                                                make_user):
    add(capsys, "add", "li.si", "--role", "finance", "--name", "李四", "--org", "隰县财政局")
    make_user(Role.BUREAU, username="bureau-user", password="a-long-test-pass-1")
    make_user(Role.CONSUMER, username="c13800000000")  # phone users are not staff
    client.post("/office/login/", {"username": "bureau-user", "password": "a-long-test-pass-1"})
    add(capsys, "disable", "li.si")

    code, out, _ = add(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert "bureau-user" in lines[1] and "县工信和科技局" in lines[1] and "启用" in lines[1]
    assert "2024-06-15 09:00" in lines[1]  # the test clock's now
    assert "li.si" in lines[2] and "李四" in lines[2] and "隰县财政局" in lines[2]
    assert "停用" in lines[2] and "从未登录" in lines[2]
    assert "c13800000000" not in out

    _, out, _ = add(capsys, "list", "--json")
    assert '"role": "finance"' in out and '"active": false' in out


# --- /admin/ ------------------------------------------------------------------------------------


def test_only_the_system_admin_role_may_use_admin(client, make_user):
    bureau = make_user(Role.BUREAU, username="bu")
    bureau.is_staff = bureau.is_superuser = True  # a flag alone is not a role
    bureau.save()
    client.force_login(bureau)
    assert client.get("/admin/core/user/").status_code == 302

    admin = make_user(Role.ADMIN, username="root-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    page = client.get("/admin/core/user/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "bu" in html and "县工信和科技局（活动主管）" in html  # the role is shown


def test_admin_changes_are_audited_and_keep_the_flags_in_step_with_the_role(client, make_user):
    admin = make_user(Role.ADMIN, username="root-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    market = make_user(Role.MARKET, username="ma")
    client.force_login(admin)
    url = f"/admin/core/user/{market.pk}/change/"
    form = {"username": "ma", "role": "admin", "display_name": "马", "organisation": "平台运维",
            "phone": "+86 139 0357 0009", "is_active": "on"}
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    market.refresh_from_db()
    assert (market.role, market.is_staff, market.is_superuser, market.phone) == (
        Role.ADMIN, True, True, "13903570009")
    entry = AuditEntry.objects.get(action="user.change")
    assert entry.actor_name == "root-admin"
    assert entry.before["role"] == "market" and entry.after["role"] == "admin"

    consumer = make_user(Role.CONSUMER, username="c13800000001")
    response = client.post(f"/admin/core/user/{consumer.pk}/change/",
                           {**form, "username": "c13800000001", "role": "bureau"})
    assert response.status_code == 200 and "不能互改角色" in response.content.decode()
    consumer.refresh_from_db()
    assert consumer.role == Role.CONSUMER
    assert client.get(f"/admin/core/user/{consumer.pk}/delete/").status_code == 403
