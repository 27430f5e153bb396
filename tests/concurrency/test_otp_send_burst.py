"""A burst of parallel code requests cannot get past the sending limits (issue 11, R-CLAIM-1).

The limits (one code a minute and five an hour per phone, twenty an hour per address) are counted
and the new code's row written in one transaction, serialized per phone and per address. With the
guards off the old shape comes back — count, then write in another transaction — and a barrier
between the two lets every request count before any writes: they all get a code."""

from __future__ import annotations

import threading

import pytest

from huiquan.consumers import services
from huiquan.consumers.errors import RateLimited
from huiquan.consumers.models import OtpCode, SmsMessage
from tests.concurrency.conftest import run_concurrently

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]
PHONE = "13800138000"
BURST = 10


def _send(phone: str, ip: str | None) -> object:
    services.request_otp(phone=phone, ip=ip)
    return "sent"


def test_ten_parallel_requests_for_one_phone_send_one_code() -> None:
    results = run_concurrently(_send, [(PHONE, f"10.1.0.{i}") for i in range(BURST)])
    assert results.count("sent") == 1, results
    assert all(isinstance(r, RateLimited) for r in results if r != "sent"), results
    assert OtpCode.objects.filter(phone=PHONE).count() == 1
    assert SmsMessage.objects.filter(phone=PHONE).count() == 1


def test_one_address_gets_no_more_codes_than_its_limit_however_parallel() -> None:
    phones = [f"1390000{i:04d}" for i in range(services.OTP_PER_IP_PER_HOUR + 8)]
    results = run_concurrently(_send, [(phone, "203.0.113.9") for phone in phones])
    assert results.count("sent") == services.OTP_PER_IP_PER_HOUR, results
    assert OtpCode.objects.filter(ip="203.0.113.9").count() == services.OTP_PER_IP_PER_HOUR


def test_with_the_guards_off_every_request_of_the_burst_gets_a_code(settings, monkeypatch):  # type: ignore[no-untyped-def]
    settings.HUIQUAN_UNSAFE_DISABLE_GUARDS = True
    everyone_counted = threading.Barrier(BURST, timeout=60)
    monkeypatch.setattr(services, "_between_count_and_insert", everyone_counted.wait)
    results = run_concurrently(_send, [(PHONE, f"10.1.0.{i}") for i in range(BURST)])
    assert results.count("sent") == BURST, results  # the race the guarded test rules out
    assert OtpCode.objects.filter(phone=PHONE).count() == BURST
