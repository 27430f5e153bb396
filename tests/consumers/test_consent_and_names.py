"""Personal data (issue 11, item 7): separate consent to a short notice before the ID number is
collected (PIPL arts. 17, 29, 30), stored with its time and version; names as on an ID card."""

from __future__ import annotations

import pytest

from huiquan.consumers import privacy, services
from huiquan.consumers.errors import IdentityError
from huiquan.consumers.identity import clean_name
from huiquan.consumers.models import Consumer, IdentityConsent
from tests.conftest import NOTICE, make_id_number

pytestmark = pytest.mark.django_db
API = "/api/v1"


def test_the_tests_agree_with_the_notice_in_force() -> None:
    assert NOTICE == privacy.NOTICE_VERSION


def _identity(client, token, **body):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/me/identity", {"name": "张三", "id_number": make_id_number(3),
                                              **body},
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("consent", [{}, {"privacy_consent": None}, {"privacy_consent": ""},
                                     {"privacy_consent": "2023-01-v0"}])
def test_without_consent_to_the_current_notice_no_id_is_taken(client, make_consumer, consent):  # type: ignore[no-untyped-def]
    session = make_consumer(verified=False)
    response = _identity(client, session.token, **consent)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "CONSENT_REQUIRED" and "实名信息处理说明" in body["message"]
    consumer = Consumer.objects.get(pk=session.consumer.pk)
    assert consumer.id_cipher == "" and consumer.id_hash is None and not consumer.is_verified
    assert not IdentityConsent.objects.exists()


def test_consent_is_stored_with_its_time_version_and_channel(client, make_consumer, clock):  # type: ignore[no-untyped-def]
    session = make_consumer(verified=False)
    response = _identity(client, session.token, privacy_consent=NOTICE)
    assert response.status_code == 200, response.content
    consent = IdentityConsent.objects.get(consumer=session.consumer)
    assert (consent.notice_version, consent.channel) == (NOTICE, "api")
    assert consent.given_at == clock.now() == Consumer.objects.get(pk=session.consumer.pk).verified_at


def test_a_refused_id_keeps_no_consent_either(make_consumer):  # type: ignore[no-untyped-def]
    session = make_consumer(verified=False)
    with pytest.raises(IdentityError):
        services.submit_identity(consumer=session.consumer, real_name="张三",
                                 id_number="141031198001011235", privacy_consent=NOTICE)
    assert not IdentityConsent.objects.exists()


def test_the_notice_says_what_why_how_long_and_who(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get(f"{API}/privacy/identity-notice").json()
    assert body["version"] == NOTICE and body["title"] == "实名信息处理说明"
    headings = [i["heading"] for i in body["items"]]
    assert headings[:4] == ["收集什么", "为什么收集", "怎么保存、保存多久", "谁能看到"]
    text = "".join(i["text"] for i in body["items"])
    assert "身份证" in text and "加密" in text and "3 年" in text and "审计局" in text


def test_the_web_page_shows_the_notice_and_asks_for_consent_separately(client, make_consumer):  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    session = make_consumer(verified=False)
    client.force_login(get_user_model().objects.get(pk=session.user.pk))
    page = client.get("/m/identity/").content.decode()
    assert "实名信息处理说明" in page and "谁能看到" in page and 'name="consent"' in page
    refused = client.post("/m/identity/", {"name": "张三", "id_number": make_id_number(4),
                                           "consent_version": NOTICE})
    assert refused.status_code == 400 and "请先阅读并同意" in refused.content.decode()
    assert not Consumer.objects.get(pk=session.consumer.pk).is_verified
    done = client.post("/m/identity/", {"name": "张三", "id_number": make_id_number(4),
                                        "consent": "on", "consent_version": NOTICE})
    assert done.status_code == 302
    assert IdentityConsent.objects.get(consumer=session.consumer).channel == "web"


@pytest.mark.parametrize("name", [
    "张三", "𠮷野家", "龘", "司马相如", "阿依古丽·买买提", "阿依古丽•买买提", "阿依古丽・买买提",
    "\U0002b740文", "李\U00031350", "\U0002ebf0华",  # extensions D, H, I
    "金\uf900", "\U0002f800明",  # compatibility ideographs
    "王〇", "John Smith", "O'Neil", "Zoë Müller-Lüdenscheidt", "Jean-Luc Picard",
])
def test_names_of_real_people_are_accepted(name: str) -> None:
    assert clean_name(f"  {name} ") == name


@pytest.mark.parametrize("name", [
    "", "   ", "·", "···", "--", "'.'", "·张三", "张三·", "张··三", "张 ·三", "123", "张三1",
    "张\u200b三", "张三！", "<script>", "张三😀", "Иван", "张\u0301三", "x" * 33,
])
def test_names_without_a_letter_or_with_other_characters_are_refused(name: str) -> None:
    with pytest.raises(IdentityError) as refused:
        clean_name(name)
    assert refused.value.code == "NAME_INVALID"


def test_a_rare_name_goes_all_the_way_through(make_consumer) -> None:  # type: ignore[no-untyped-def]
    session = make_consumer(verified=False)
    services.submit_identity(consumer=session.consumer, real_name="𠮷龘",
                             id_number=make_id_number(6), privacy_consent=NOTICE)
    assert Consumer.objects.get(pk=session.consumer.pk).real_name == "𠮷龘"
