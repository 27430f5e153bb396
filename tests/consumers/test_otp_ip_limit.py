"""Wrong phone codes are limited per client address, and every refusal about a phone's code is
one answer (hostile input second round, F5): a locked or expired code says no more than "no
code was asked for", and an address spraying guesses over many phones is locked (OTP_LOCKED,
429) with an audit entry."""

from __future__ import annotations

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.consumers import services
from huiquan.consumers.errors import AuthError
from huiquan.consumers.sms import latest_sandbox_message

pytestmark = pytest.mark.django_db
ATTACKER, NEIGHBOUR = "203.0.113.7", "198.51.100.9"


def _code(phone: str) -> str:
    return latest_sandbox_message(phone).split("验证码是 ")[1][:6]


def _answer(client, phone: str, code: str, ip: str = ATTACKER):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/verify", {"phone": phone, "code": code},
                           content_type="application/json", REMOTE_ADDR=ip)
    return response.status_code, response.json()


def test_no_code_expired_and_used_up_codes_answer_alike(client, clock, campaign):  # type: ignore[no-untyped-def]
    nothing = _answer(client, "13900000001", "123456")
    services.request_otp(phone="13900000002", ip=None)
    clock.advance(minutes=6)
    expired = _answer(client, "13900000002", _code("13900000002"))
    services.request_otp(phone="13900000003", ip=None)
    right = _code("13900000003")
    wrong = "000000" if right != "000000" else "111111"
    tries = [_answer(client, "13900000003", wrong) for _ in range(services.OTP_MAX_WRONG)]
    used_up = _answer(client, "13900000003", right)
    assert nothing == expired == used_up == tries[-1] == tries[0]
    assert nothing[0] == 401 and nothing[1]["code"] == "OTP_INVALID"


def test_an_address_guessing_over_many_phones_is_locked_and_audited(client, clock, campaign,  # type: ignore[no-untyped-def]
                                                                   monkeypatch):
    monkeypatch.setattr(services, "OTP_VERIFY_PER_IP", 12)
    phones = [f"1390000{n:04d}" for n in range(4)]
    for phone in phones:
        services.request_otp(phone=phone, ip=None)
    answers = [_answer(client, phones[n // 4], "999999" if _code(phones[n // 4]) != "999999"
                       else "888888") for n in range(12)]
    assert {status for status, _ in answers} == {401}  # each phone's code had tries left
    # The 13th check from that address, even with a right code, is refused before any code is read.
    locked = _answer(client, phones[3], _code(phones[3]))
    assert locked[0] == 429 and locked[1]["code"] == "OTP_LOCKED"
    assert "网络" in locked[1]["message"] and "验证码" in locked[1]["message"]
    entry = AuditEntry.objects.get(action="consumer.otp_ip_locked")
    assert entry.object_id == ATTACKER and entry.object_type == "ip"
    # Another address is not affected; the locked one is free again after the lock.
    assert _answer(client, phones[3], _code(phones[3]), ip=NEIGHBOUR)[0] == 200
    clock.advance(minutes=16)
    services.request_otp(phone=phones[2], ip=None)
    assert _answer(client, phones[2], _code(phones[2]))[0] == 200


def test_the_right_code_does_not_count_against_the_address(clock, campaign, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "OTP_VERIFY_PER_IP", 2)
    for n in range(5):
        phone = f"1370000{n:04d}"
        services.request_otp(phone=phone, ip=None)
        services.verify_otp(phone=phone, code=_code(phone), ip=ATTACKER)
    with pytest.raises(AuthError) as refused:
        services.verify_otp(phone="13700000000", code="000000", ip=ATTACKER)
    assert refused.value.code == "OTP_INVALID"
