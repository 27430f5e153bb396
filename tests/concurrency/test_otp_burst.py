"""A burst of parallel guesses at one code gets at most 5 tries (issue 11, item 5).

The try is taken (a conditional UPDATE: ``failed_attempts < 5``) before the code is compared, in
the transaction that answers. With the guards off the old shape comes back — compare in one
transaction, count in another — and the test lets every guess be compared before any is
counted: all 16 are checked, which is the race this protects against."""

from __future__ import annotations

import re
import threading

import pytest

from huiquan.consumers import services
from huiquan.consumers.errors import AuthError
from huiquan.consumers.models import OtpCode
from huiquan.consumers.sms import latest_sandbox_message
from tests.concurrency.conftest import run_concurrently

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]
PHONE = "13800138000"
BURST = 16


def _burst(monkeypatch) -> tuple[list[str], list[object], str]:  # type: ignore[no-untyped-def]
    services.request_otp(phone=PHONE, ip=None)
    code = re.search(r"验证码是 (\d{6})", latest_sandbox_message(PHONE) or "").group(1)  # type: ignore[union-attr]
    guesses = [f"{(int(code) + i) % 10**6:06d}" for i in range(1, BURST + 1)]
    compared: list[str] = []
    lock = threading.Lock()
    real = services._code_matches

    def counting(otp, phone, given):  # type: ignore[no-untyped-def]
        with lock:
            compared.append(given)
        return real(otp, phone, given)

    monkeypatch.setattr(services, "_code_matches", counting)
    results = run_concurrently(lambda guess: services.verify_otp(phone=PHONE, code=guess),
                               [(g,) for g in guesses])
    return compared, results, code


def test_sixteen_parallel_guesses_get_at_most_five_tries(monkeypatch):  # type: ignore[no-untyped-def]
    compared, results, code = _burst(monkeypatch)
    assert len(compared) <= services.OTP_MAX_WRONG
    assert all(isinstance(r, AuthError) for r in results), results
    codes = sorted(r.code for r in results)  # type: ignore[union-attr]
    assert codes == ["OTP_INVALID"] * BURST  # one answer, whatever the count (F5)
    assert OtpCode.objects.get(phone=PHONE).failed_attempts == services.OTP_MAX_WRONG
    with pytest.raises(AuthError) as refused:  # even the right code now
        services.verify_otp(phone=PHONE, code=code)
    assert refused.value.code == "OTP_INVALID"


def test_with_the_guards_off_every_guess_is_checked(monkeypatch, settings):  # type: ignore[no-untyped-def]
    settings.HUIQUAN_UNSAFE_DISABLE_GUARDS = True
    all_checked = threading.Barrier(BURST, timeout=60)
    monkeypatch.setattr(services, "_between_check_and_count", all_checked.wait)
    compared, results, _ = _burst(monkeypatch)
    assert len(compared) == BURST > services.OTP_MAX_WRONG  # the race, seen
    assert all(isinstance(r, AuthError) for r in results), results
