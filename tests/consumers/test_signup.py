"""Sign-up by phone code and real name (R-CLAIM-1, invariant 7)."""

import pytest

from huiquan.cli import main as cli
from huiquan.consumers import crypto, selectors, services
from huiquan.consumers.errors import AuthError, IdentityError, RateLimited
from huiquan.consumers.models import Consumer, OtpCode
from huiquan.consumers.sms import latest_sandbox_message
from tests.conftest import NOTICE, make_id_number

pytestmark = pytest.mark.django_db
PHONE = "13800138000"


def _code(phone=PHONE):
    return latest_sandbox_message(phone).split("验证码是 ")[1][:6]


def test_a_code_signs_up_once_and_cannot_be_replayed(clock):
    services.request_otp(phone=PHONE, ip="1.2.3.4")
    code = _code()
    session = services.verify_otp(phone=PHONE, code=code)
    assert session.consumer.phone == PHONE and not session.consumer.is_verified
    assert selectors.user_for_token(session.token) == session.user
    with pytest.raises(AuthError):
        services.verify_otp(phone=PHONE, code=code)  # single use
    assert Consumer.objects.count() == 1
    assert not OtpCode.objects.filter(code_hash__contains=code).exists()  # only a hash is kept


def test_an_expired_code_is_refused(clock):
    services.request_otp(phone=PHONE, ip=None)
    code = _code()
    clock.advance(minutes=5)
    with pytest.raises(AuthError) as refused:
        services.verify_otp(phone=PHONE, code=code)
    assert refused.value.code == "OTP_INVALID"  # as if none was asked for (F5)


def test_five_wrong_codes_lock_it_even_for_the_right_one(clock):
    services.request_otp(phone=PHONE, ip=None)
    code = _code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(AuthError) as refused:
            services.verify_otp(phone=PHONE, code=wrong)
        assert refused.value.code == "OTP_INVALID"
    with pytest.raises(AuthError) as refused:
        services.verify_otp(phone=PHONE, code=wrong)
    assert refused.value.code == "OTP_INVALID"  # the same answer: nothing about the code (F5)
    with pytest.raises(AuthError) as refused:
        services.verify_otp(phone=PHONE, code=code)
    assert refused.value.code == "OTP_INVALID"


def test_codes_are_rate_limited_per_phone_and_per_ip(clock):
    services.request_otp(phone=PHONE, ip="9.9.9.9")
    with pytest.raises(RateLimited):
        services.request_otp(phone=PHONE, ip="9.9.9.9")  # within 60 s
    for _ in range(4):
        clock.advance(seconds=61)
        services.request_otp(phone=PHONE, ip="9.9.9.9")
    clock.advance(seconds=61)
    with pytest.raises(RateLimited) as refused:
        services.request_otp(phone=PHONE, ip="9.9.9.9")
    assert "一小时" in refused.value.message
    for n in range(15):
        services.request_otp(phone=f"139{n:08d}", ip="9.9.9.9")
    with pytest.raises(RateLimited) as refused:
        services.request_otp(phone="13912345678", ip="9.9.9.9")
    assert "当前网络" in refused.value.message


@pytest.mark.parametrize("phone", ["12345", "23800138000", "138001380001", "", None, "abc"])
def test_a_malformed_phone_is_refused(phone):
    with pytest.raises(AuthError) as refused:
        services.request_otp(phone=phone, ip=None)
    assert refused.value.code == "PHONE_INVALID"


def test_the_sandbox_cli_prints_the_latest_code(capsys):
    services.request_otp(phone=PHONE, ip=None)
    assert cli(["sandbox", "sms", PHONE]) == 0
    assert _code() in capsys.readouterr().out


def test_real_name_is_stored_encrypted_hashed_and_masked(make_consumer):
    session = make_consumer(verified=False)
    number = "141031198001011231"
    services.submit_identity(consumer=session.consumer, real_name="张三", id_number=number,
                             privacy_consent=NOTICE)
    c = Consumer.objects.get(pk=session.consumer.pk)
    assert c.id_masked == "1410**********1231"
    assert number not in c.id_cipher and crypto.decrypt_id(c.id_cipher) == number
    assert c.id_hash == crypto.hash_id(number) and number not in c.id_hash
    assert c.is_verified


def test_rotated_keys_still_read_old_ciphertexts(settings):
    from cryptography.fernet import Fernet

    token = crypto.encrypt_id("141031198001011231")
    settings.HUIQUAN_ID_KEYS = [Fernet.generate_key().decode(), *settings.HUIQUAN_ID_KEYS]
    assert crypto.decrypt_id(token) == "141031198001011231"
    assert crypto.decrypt_id(crypto.encrypt_id("x")) == "x"


@pytest.mark.parametrize("number, message", [
    ("141031198001011235", "逐位核对"), ("14103119800101123", "18 位"),
    ("141031198013011239", "出生日期"), ("14103119800101123Y", "格式"), ("", "18 位"),
])
def test_a_bad_id_number_is_refused_with_its_reason(make_consumer, number, message):
    session = make_consumer(verified=False)
    with pytest.raises(IdentityError) as refused:
        services.submit_identity(consumer=session.consumer, real_name="张三", id_number=number,
                                 privacy_consent=NOTICE)
    assert message in refused.value.message
    session.consumer.refresh_from_db()
    assert not session.consumer.is_verified and session.consumer.id_cipher == ""


def test_an_unknown_area_code_is_a_warning_not_a_refusal(make_consumer):
    session = make_consumer(verified=False)
    warnings = services.submit_identity(consumer=session.consumer, real_name="李四",
                                        id_number="990000199001011239", privacy_consent=NOTICE)
    assert warnings and "地区码" in warnings[0]


def test_one_id_number_one_account(make_consumer):
    first, second = make_consumer(verified=False), make_consumer(verified=False)
    number = make_id_number(77)
    services.submit_identity(consumer=first.consumer, real_name="王五", id_number=number,
                             privacy_consent=NOTICE)
    with pytest.raises(IdentityError) as refused:
        services.submit_identity(consumer=second.consumer, real_name="王五",
                                 id_number=number.lower(), privacy_consent=NOTICE)
    assert refused.value.code == "ID_TAKEN"
    second.consumer.refresh_from_db()
    assert not second.consumer.is_verified
