"""Accounts made through the old hole: migration 0003 reads stored IDs and phones canonically,
holds the later account of each pair (nothing deleted), and `huiquan consumers duplicates`
names both for an operator (issue 11, item 1; R-CLAIM-1)."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

from huiquan.cli import main as cli
from huiquan.consumers import crypto
from huiquan.consumers.models import Consumer
from huiquan.core import clock as clock_module
from huiquan.core.models import User
from tests.conftest import make_id_number

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
MIGRATION = "huiquan.consumers.migrations.0003_recompute_id_hashes_on_canonical_form"


def _arabic(number: str) -> str:
    return number[:17].translate(ARABIC_INDIC) + number[17]


def legacy_verify(consumer: Consumer, typed: str, minutes: int) -> None:
    """What the old submit_identity stored for a number typed this way."""
    Consumer.objects.filter(pk=consumer.pk).update(
        real_name="王五", id_cipher=crypto.encrypt_id(typed), id_hash=crypto.hash_id(typed),
        id_masked=crypto.mask_id(typed),
        verified_at=clock_module.now() + timedelta(minutes=minutes))


def legacy_phone(consumer: Consumer, phone: str) -> None:
    Consumer.objects.filter(pk=consumer.pk).update(phone=phone)
    User.objects.filter(pk=consumer.user_id).update(phone=phone, username=f"c{phone}")


def run_migration() -> None:
    importlib.import_module(MIGRATION).forwards(django_apps, None)


def duplicates(capsys) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = cli(["consumers", "duplicates"])
    return code, capsys.readouterr().out


@pytest.mark.django_db
def test_the_command_prints_nothing_on_a_clean_database(make_consumer, capsys):  # type: ignore[no-untyped-def]
    make_consumer(), make_consumer(), make_consumer(verified=False)
    run_migration()
    assert duplicates(capsys) == (0, "")


@pytest.mark.django_db
@pytest.mark.parametrize("arabic_first", [False, True])
def test_the_later_of_two_accounts_with_one_canonical_id_is_held_and_both_are_named(
        make_consumer, capsys, arabic_first):  # type: ignore[no-untyped-def]
    number = make_id_number(41)
    a, b = make_consumer(verified=False).consumer, make_consumer(verified=False).consumer
    first, later = (b, a) if arabic_first else (a, b)
    legacy_verify(a, number, minutes=1 if not arabic_first else 2)
    legacy_verify(b, _arabic(number), minutes=2 if not arabic_first else 1)
    lone = make_consumer(verified=False).consumer  # another person, typed in Arabic-Indic digits
    lone_number = make_id_number(42)
    legacy_verify(lone, _arabic(lone_number), minutes=3)

    run_migration()

    first.refresh_from_db()
    later.refresh_from_db()
    lone.refresh_from_db()
    canonical_hash = crypto.hash_id(number)
    assert first.id_hash == canonical_hash and first.is_verified and first.held_at is None
    assert crypto.decrypt_id(first.id_cipher) == number  # re-encrypted canonical if it was not
    assert later.id_hash is None and later.id_duplicate_hash == canonical_hash
    assert later.held_at is not None and f"#{first.pk}" in later.held_reason
    assert not later.is_verified and later.verified_at is not None  # the history stays
    assert lone.id_hash == crypto.hash_id(lone_number) and lone.is_verified
    assert lone.id_masked == crypto.mask_id(lone_number)
    assert Consumer.objects.count() == 3  # nothing deleted

    code, out = duplicates(capsys)
    assert code == 1
    assert out.count("身份证号 ") == 1 and crypto.mask_id(number) in out
    for consumer in (first, later):
        assert f"消费者 #{consumer.pk}（用户 #{consumer.user_id}）" in out
        assert f"{consumer.phone[:3]}****{consumer.phone[-4:]}" in out
    assert out.index(f"#{first.pk}（") < out.index(f"#{later.pk}（") and "已暂停" in out
    assert number not in out and later.phone not in out  # masked only

    run_migration()  # a second run changes nothing
    later.refresh_from_db()
    assert later.id_duplicate_hash == canonical_hash and Consumer.objects.count() == 3


@pytest.mark.django_db
def test_a_held_account_cannot_verify_again(make_consumer, client):  # type: ignore[no-untyped-def]
    from huiquan.consumers import services
    from huiquan.consumers.errors import IdentityError

    number = make_id_number(43)
    a, b = make_consumer(verified=False).consumer, make_consumer(verified=False).consumer
    legacy_verify(a, number, minutes=1)
    legacy_verify(b, _arabic(number), minutes=2)
    run_migration()
    b.refresh_from_db()
    with pytest.raises(IdentityError) as refused:
        services.submit_identity(consumer=b, real_name="王五", id_number=make_id_number(44),
                                 privacy_consent="2024-06-v1")
    assert refused.value.code == "ACCOUNT_HELD"
    client.force_login(User.objects.get(pk=b.user_id))
    page = client.get("/m/identity/").content.decode()
    assert "正在人工核查" in page and 'name="id_number"' not in page


@pytest.mark.django_db
def test_stored_phones_in_other_digits_are_folded_or_held(make_consumer, capsys):  # type: ignore[no-untyped-def]
    owner = make_consumer(verified=False, phone="13800138000").consumer
    twin = make_consumer(verified=False, phone="13900139000").consumer
    legacy_phone(twin, "13" + "800138000".translate(ARABIC_INDIC))  # the owner's phone
    alone = make_consumer(verified=False, phone="13700137000").consumer
    legacy_phone(alone, "13" + "600136000".translate(ARABIC_INDIC))  # nobody's yet

    run_migration()

    twin.refresh_from_db()
    alone.refresh_from_db()
    assert twin.held_at is not None and f"#{owner.pk}" in twin.held_reason
    assert alone.phone == "13600136000" and alone.held_at is None
    assert User.objects.get(pk=alone.user_id).username == "c13600136000"
    code, out = duplicates(capsys)
    assert code == 1 and "手机号 138****8000 由 2 个账号共用" in out
    assert f"消费者 #{owner.pk}" in out and f"消费者 #{twin.pk}" in out


@pytest.mark.django_db(transaction=True)
def test_the_real_migration_runs_over_such_rows_and_never_fails(make_consumer):  # type: ignore[no-untyped-def]
    number = make_id_number(45)
    a, b = make_consumer(verified=False).consumer, make_consumer(verified=False).consumer
    call_command("migrate", "consumers", "0002", verbosity=0)
    legacy_verify(a, number, minutes=1)
    legacy_verify(b, _arabic(number), minutes=2)
    legacy_phone(b, "13" + a.phone[2:].translate(ARABIC_INDIC))
    call_command("migrate", "consumers", verbosity=0)
    b.refresh_from_db()
    assert b.id_duplicate_hash == crypto.hash_id(number) and b.held_at is not None
    assert "身份证号" in b.held_reason and "手机号" in b.held_reason
