"""The client's real IP behind a proxy (issue 11, item 6): only a trusted proxy's
X-Forwarded-For is believed; the OTP limits and the log-in lock-out count per real client."""

from __future__ import annotations

import pytest
from django.test import Client

from huiquan.core.client_ip import parse_networks, real_ip
from huiquan.core.roles import Role

PROXIES = parse_networks(["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"])


@pytest.mark.parametrize("remote, forwarded, expected", [
    ("203.0.113.9", "6.6.6.6", "203.0.113.9"),  # not from a proxy: the header is ignored
    ("10.0.0.2", "203.0.113.7", "203.0.113.7"),  # the proxy says who it talked to
    ("10.0.0.2", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client's own "6.6.6.6" is not
    ("10.0.0.2", "6.6.6.6, 203.0.113.7, 192.0.2.1", "203.0.113.7"),  # two proxies
    ("10.0.0.2", "", "10.0.0.2"),  # a proxy that forwarded nothing
    ("10.0.0.2", "203.0.113.7:51234", "203.0.113.7"),
    ("10.0.0.2", "garbage, 203.0.113.7", "203.0.113.7"),
    ("10.0.0.2", "203.0.113.7, garbage", "10.0.0.2"),  # a trusted proxy would not write that
    ("10.0.0.2", "10.1.1.1, 10.0.0.3", "10.1.1.1"),  # every hop inside: the first one
    ("2001:db8::1", "[2001:db9::5]:443", "2001:db9::5"),
    ("::ffff:10.0.0.2", "203.0.113.7", "203.0.113.7"),
    ("", "203.0.113.7", None),
])
def test_the_header_is_read_from_the_right_past_trusted_hops(remote, forwarded, expected):  # type: ignore[no-untyped-def]
    assert real_ip(remote, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert real_ip("10.0.0.2", "203.0.113.7", ()) == "10.0.0.2"


def test_a_bad_proxy_setting_stops_the_start_with_its_name(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from huiquan import settings as project_settings

    errors: list[str] = []  # the start gate prints these, one line each (F6: not a traceback)
    monkeypatch.setattr(project_settings, "HUIQUAN_SETTING_ERRORS", errors)
    monkeypatch.setenv("HUIQUAN_TRUSTED_PROXIES", "10.0.0.0/8, nginx.internal")
    assert project_settings._trusted_proxies() == []  # no proxy is believed meanwhile
    assert len(errors) == 1 and errors[0].startswith("HUIQUAN_TRUSTED_PROXIES='nginx.internal'")
    monkeypatch.setenv("HUIQUAN_TRUSTED_PROXIES", " 10.0.0.0/8 ,127.0.0.1")
    assert project_settings._trusted_proxies() == ["10.0.0.0/8", "127.0.0.1"]


def _ask_code(client: Client, phone: str, remote: str, forwarded: str | None = None) -> int:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/api/v1/auth/otp", {"phone": phone}, content_type="application/json",
                       **extra).status_code


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_resident_has_their_own_code_limit(client, settings):  # type: ignore[no-untyped-def]
    settings.HUIQUAN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # 25 residents behind the county's proxy: the per-IP limit (20 an hour) is theirs, not the
    # proxy's (the old code counted them all as 10.0.0.2 and refused the 21st)
    for n in range(25):
        assert _ask_code(client, f"139{n:08d}", "10.0.0.2", f"203.0.113.{n}") == 200
    # one of them asking for many phones is still limited
    for n in range(19):
        assert _ask_code(client, f"137{n:08d}", "10.0.0.2", "203.0.113.0") == 200
    assert _ask_code(client, "13612345678", "10.0.0.2", "203.0.113.0") == 429
    # a made-up address the client put in front of the proxy's is not believed
    assert _ask_code(client, "13612345679", "10.0.0.2", "1.1.1.1, 203.0.113.0") == 429


@pytest.mark.django_db
def test_a_spoofed_header_from_an_untrusted_client_is_ignored(client, settings):  # type: ignore[no-untyped-def]
    settings.HUIQUAN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(20):
        assert _ask_code(client, f"139{n:08d}", "198.51.100.7", f"203.0.113.{n}") == 200
    assert _ask_code(client, "13612345678", "198.51.100.7", "203.0.113.99") == 429


def _log_in(client: Client, password: str, remote: str, forwarded: str) -> int:
    return client.post("/office/login/", {"username": "zhang", "password": password},
                       REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded).status_code


@pytest.mark.django_db
def test_the_log_in_lock_out_counts_the_real_client_behind_the_proxy(campaign, make_user,
                                                                     settings):  # type: ignore[no-untyped-def]
    settings.HUIQUAN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    make_user(Role.BUREAU, username="zhang", password="right-password-123")
    guesser, colleague = Client(), Client()
    for _ in range(5):
        _log_in(guesser, "wrong", "10.0.0.2", "203.0.113.66")
    assert _log_in(guesser, "right-password-123", "10.0.0.2", "203.0.113.66") == 429
    # the same proxy, another office: not locked out by someone else's guesses
    assert _log_in(colleague, "right-password-123", "10.0.0.2", "203.0.113.8") == 302


@pytest.mark.django_db
def test_a_spoofed_header_does_not_escape_the_log_in_lock_out(campaign, make_user, settings):  # type: ignore[no-untyped-def]
    settings.HUIQUAN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    make_user(Role.BUREAU, username="zhang", password="right-password-123")
    guesser = Client()
    for n in range(5):
        _log_in(guesser, "wrong", "198.51.100.7", f"203.0.113.{n}")
    assert _log_in(guesser, "right-password-123", "198.51.100.7", "203.0.113.200") == 429
