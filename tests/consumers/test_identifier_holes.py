"""The holes of issue 11, item 1: one person, one account — whatever digits they type (R-CLAIM-1).

Each test here failed on the code before the fix (noted in the issue's closing report)."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

from huiquan.consumers import services
from huiquan.consumers.errors import AuthError, IdentityError, RateLimited
from huiquan.consumers.models import Consumer
from huiquan.consumers.sms import latest_sandbox_message
from tests.conftest import NOTICE, make_id_number

pytestmark = pytest.mark.django_db

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _consent() -> dict[str, str]:
    return {"privacy_consent": NOTICE}


def _verify(session, number: str) -> list[str]:  # type: ignore[no-untyped-def]
    return services.submit_identity(consumer=session.consumer, real_name="王五",
                                    id_number=number, **_consent())


@pytest.mark.parametrize("script", [ARABIC_INDIC, DEVANAGARI])
def test_an_id_typed_in_another_scripts_digits_does_not_verify_a_second_account(
        make_consumer, script):  # type: ignore[no-untyped-def]
    first, second = make_consumer(verified=False), make_consumer(verified=False)
    number = make_id_number(77)
    _verify(first, number)
    with pytest.raises(IdentityError) as refused:
        _verify(second, number[:17].translate(script) + number[17])  # the check char as printed
    assert refused.value.code in {"ID_INVALID", "ID_TAKEN"}
    assert Consumer.objects.filter(verified_at__isnull=False).count() == 1


def test_a_fullwidth_id_is_the_same_person(make_consumer):  # type: ignore[no-untyped-def]
    first, second = make_consumer(verified=False), make_consumer(verified=False)
    number = make_id_number(78)
    _verify(first, number)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in number)
    with pytest.raises(IdentityError) as refused:
        _verify(second, fullwidth)
    assert refused.value.code == "ID_TAKEN"


def _api_identity(client: Client, token: str, number: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/me/identity",
                       {"name": "张三", "id_number": number, **_consent()},
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


PARENTHESIZED = str.maketrans("123456789", "⑴⑵⑶⑷⑸⑹⑺⑻⑼")


@pytest.mark.parametrize("script, status", [
    (SUPERSCRIPT, 200),  # NFKC reads ³ as 3: the same number, verified once
    (PARENTHESIZED, 422),  # NFKC reads ⑶ as "(3)": not a digit, a clear refusal
])
def test_an_id_with_compatibility_digits_is_never_a_500_nor_logged(
        make_consumer, caplog, script, status):  # type: ignore[no-untyped-def]
    session = make_consumer(verified=False)
    number = make_id_number(79)
    typed = number[:14] + number[14:16].translate(script) + number[16:]
    assert typed != number
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.INFO):
        response = _api_identity(client, session.token, typed)
    assert response.status_code == status, response.content
    assert number[:10] not in caplog.text and number[-6:] not in caplog.text
    session.consumer.refresh_from_db()
    if status == 200:
        assert session.consumer.id_masked == number[:4] + "*" * 10 + number[-4:]
    else:
        assert response.json()["code"] == "ID_INVALID" and not session.consumer.is_verified


def _code_for(phone: str) -> str:
    return re.search(r"验证码是 (\d{6})", latest_sandbox_message(phone) or "").group(1)  # type: ignore[union-attr]


def test_a_phone_typed_in_another_scripts_digits_is_not_a_second_account(clock):  # type: ignore[no-untyped-def]
    services.request_otp(phone="13800138000", ip=None)
    services.verify_otp(phone="13800138000", code=_code_for("13800138000"))
    clock.advance(minutes=2)
    other = "13" + "800138000".translate(ARABIC_INDIC)
    with pytest.raises(AuthError) as refused:
        services.request_otp(phone=other, ip=None)
    assert refused.value.code == "PHONE_INVALID"
    assert Consumer.objects.count() == 1


def test_other_digits_do_not_walk_around_the_per_phone_limit(clock):  # type: ignore[no-untyped-def]
    for _ in range(5):
        services.request_otp(phone="13800138000", ip=None)
        clock.advance(seconds=61)
    for typed in ("13" + "800138000".translate(ARABIC_INDIC), "１３８００１３８０００",
                  "13800138000".translate(SUPERSCRIPT), "138 0013 8000"):
        with pytest.raises((AuthError, RateLimited)):
            services.request_otp(phone=typed, ip=None)
