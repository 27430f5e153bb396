"""No ID or phone number in any log line (issue 11, item 7): the filter on every handler, driven
with the hostile cases and checked by reading what was written."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from huiquan.core import logmask
from tests.conftest import NOTICE, make_id_number

ROOT = Path(__file__).resolve().parents[2]
ID = "14103119800101123X"
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
HOSTILE = [
    ID, ID.lower(), ID[:17], "141031 19800101 123X", "1410-3119-8001-0112-3X",
    ID[:14] + ID[14:16].translate(SUPERSCRIPT) + ID[16:17],  # the 17 characters the old 500 wrote
    ID[:17].translate(ARABIC_INDIC) + "X", "１４１０３１１９８００１０１１２３Ｘ",
    "13800138000", "+8613800138000", "138 0013 8000", "138-0013-8000",
    "13800138000".translate(ARABIC_INDIC), "１３８００１３８０００",
]


def _digits_of(text: str) -> list[str]:
    """Six-character windows of the number's digits: none may survive in a log."""
    plain = "".join(c for c in text if c.isalnum())
    return [plain[i:i + 6] for i in range(len(plain) - 5)]


@pytest.mark.parametrize("number", HOSTILE)
def test_every_form_of_an_id_or_phone_is_masked(number: str) -> None:
    line = f"refused {number}, again '{number}': {{\"phone\": \"{number}\"}}"
    masked = logmask.mask(line)
    for window in _digits_of(number):
        assert window not in "".join(c for c in masked if c.isalnum()), (number, masked)
    assert logmask.mask(masked) == masked


@pytest.mark.parametrize("text", [
    "GET /api/v1/releases/12/claims 409", "2024-06-21 10:00:00,123", "voucher 1234567890",
    "amount 300000000 fen", "token hq1.12.1718935200.ab",
])
def test_short_numbers_ids_times_and_amounts_stay(text: str) -> None:
    assert logmask.mask(text) == text


def test_every_handler_in_the_settings_masks() -> None:
    handlers = settings.LOGGING["handlers"]
    assert handlers and all("personal_data" in h.get("filters", []) for h in handlers.values())
    assert settings.LOGGING["filters"]["personal_data"]["()"].endswith("MaskPersonalData")


def test_a_handler_made_after_start_up_writes_masked_too() -> None:
    """A library or a later logging set-up may add handlers no filter list knows of: records are
    masked where they are made."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log = logging.getLogger("a.library.nobody.configured")
    log.addHandler(handler)
    try:
        log.warning("phone %s, ID %s", "13800138000", "14103119800101123X")
    finally:
        log.removeHandler(handler)
    assert "13800138000" not in stream.getvalue() and "1410311980" not in stream.getvalue()
    assert "phone 138" in stream.getvalue()


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the console handler of settings.LOGGING writes."""
    handler = next(h for h in logging.getLogger().handlers
                   if any(isinstance(f, logmask.MaskPersonalData) for f in h.filters))
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(old)  # type: ignore[arg-type]


def _leaks(text: str) -> list[str]:
    return [n for n in HOSTILE for w in _digits_of(n)
            if w in "".join(c for c in text if c.isalnum())]


def test_messages_arguments_and_tracebacks_are_masked(console: io.StringIO, caplog) -> None:  # type: ignore[no-untyped-def]
    log = logging.getLogger("huiquan.test")
    for number in HOSTILE:
        log.warning("ID %s typed", number)
        log.warning(f"phone {number} in the message itself")
        log.warning("as a mapping %(n)s", {"n": number})
        try:
            int(number[:17], 13)  # what stdnum did with an ID in superscripts
        except ValueError:
            log.exception("crashed on %s", number)
        log.warning("with its stack", stack_info=True, extra={"raw": number})
    written = console.getvalue()
    assert "Traceback" in written and "ValueError" in written and "ID 141*****" in written
    assert _leaks(written) == []
    assert _leaks(caplog.text) == []  # masked in place: later handlers see it masked too


@pytest.mark.django_db
def test_a_500_with_an_id_in_its_exception_is_logged_masked(console: io.StringIO, caplog,
                                                             make_consumer, monkeypatch):  # type: ignore[no-untyped-def]
    """Should a future bug crash on an ID again, the server log still shows none of it."""
    from stdnum.cn import ric

    from huiquan.consumers import services

    def old_check(number: object) -> tuple[str, list[str]]:  # the bug of issue 11
        text = str(number)
        ric.calc_check_digit(text)
        return text, []

    monkeypatch.setattr(services, "validate_id_number", old_check)
    session = make_consumer(verified=False)
    typed = make_id_number(5)[:14] + "¹" + make_id_number(5)[15:]
    response = Client(raise_request_exception=False).post(
        "/api/v1/me/identity", {"name": "张三", "id_number": typed, "privacy_consent": NOTICE},
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {session.token}")
    assert response.status_code == 500
    written = console.getvalue()
    assert "Internal Server Error" in written and "ValueError" in written
    fragment = typed[:17]
    assert fragment not in written and fragment[:10] not in written
    assert fragment not in caplog.text


def test_a_real_process_writes_no_id_into_its_log(tmp_path: Path) -> None:
    program = """
import logging, django
django.setup()
log = logging.getLogger("django.request")
try:
    int("14103119800101\u00b923", 13)
except ValueError:
    log.error("Internal Server Error: %s", "/api/v1/me/identity", exc_info=True)
logging.getLogger("gunicorn.error").warning("phone %s", "+86 138 0013 8000")
logging.getLogger("huiquan").warning("data %s", {"id_number": "14103119800101123X"})
print("done")
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "huiquan.settings",
           "HUIQUAN_VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": ""}
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    log = result.stderr
    assert "Internal Server Error" in log and "ValueError" in log and "phone" in log, log
    for leaked in ("14103119800101", "10013800", "0013 8000", "800101123X"):
        assert leaked not in log, log
    assert json.dumps("done").strip('"') in result.stdout
