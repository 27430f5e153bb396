"""Stored resident IDs and phones, read canonically (issue 11, item 1; R-CLAIM-1).

Before this, an ID number typed with other scripts' digits (Arabic-Indic ١, Devanagari १ …) was
checked, hashed and stored as typed, so one person could verify a second account. Here every
stored ID is decrypted and read canonically — NFKC, separators dropped, every Unicode decimal
digit read as the ASCII digit it is — and its keyed hash recomputed on that form:

- The account verified first with a canonical ID keeps it (hash recomputed; a non-canonical
  ciphertext re-encrypted in canonical form, mask redone).
- Any later account with the same canonical ID is *held*, not deleted: ``id_hash`` emptied (the
  unique constraint keeps its promise), the canonical hash kept in ``id_duplicate_hash``,
  ``held_at`` and ``held_reason`` set; its ciphertext is left as typed (evidence). A held account
  cannot claim. ``huiquan consumers duplicates`` lists both accounts; an operator decides.
- Phones likewise: a stored phone with other scripts' digits becomes canonical when no other
  account has that number; otherwise its consumer is held the same way.
- A ciphertext the keys cannot read, or a number that is not an ID once read, is left exactly as
  it was (counted in the output).

This file carries its own copy of the reading rules, so it keeps doing what it did when the
application's code changes later. Reversing it changes nothing back (the canonical form is the
right one); the added fields go with 0002.
"""

import hashlib
import hmac
import re
import unicodedata

from django.conf import settings
from django.db import IntegrityError, migrations, transaction
from django.db.models import F
from django.utils import timezone

SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff0d]+")
ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
PHONE_SHAPE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
ASCII_DIGITS = r"^[0-9]*$"


def fold(text):
    """What a number stored before the edge was canonical stands for."""
    text = SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    return "".join(str(unicodedata.decimal(c)) if not c.isascii()
                   and unicodedata.decimal(c, None) is not None else c for c in text)


def id_hash(number):
    return hmac.new(settings.HUIQUAN_ID_HASH_KEY.encode(), number.encode(),
                    hashlib.sha256).hexdigest()


def mask(number):
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _update(model, pk, **fields):
    """One row's update in its own savepoint: False if a unique constraint refused it."""
    try:
        with transaction.atomic():
            model.objects.filter(pk=pk).update(**fields)
    except IntegrityError:
        return False
    return True


def _hold(Consumer, pk, now, reason, **fields):
    Consumer.objects.filter(pk=pk).update(held_at=now, held_reason=reason[:255], **fields)


def recompute_ids(Consumer, now, report):
    from cryptography.fernet import Fernet, InvalidToken, MultiFernet

    rows = list(Consumer.objects.exclude(id_cipher="")
                .order_by(F("verified_at").asc(nulls_last=True), "pk"))
    if not rows:
        return
    fernet = MultiFernet([Fernet(k) for k in settings.HUIQUAN_ID_KEYS])
    plan = []
    for consumer in rows:
        try:
            number = fernet.decrypt(consumer.id_cipher.encode()).decode()
        except (InvalidToken, ValueError):
            report["unreadable"] += 1
            continue
        canonical = fold(number)
        if not ID_SHAPE.fullmatch(canonical):
            report["not_an_id"] += 1
            continue
        plan.append((consumer, number, canonical, id_hash(canonical)))
    holder = {}
    later = []
    for entry in plan:
        if entry[3] in holder:
            later.append(entry)
        else:
            holder[entry[3]] = entry[0]
    # Later accounts first: their hash slots are free before the first account takes its own.
    for consumer, _, canonical, digest in later:
        _hold(Consumer, consumer.pk, now,
              f"身份证号与消费者 #{holder[digest].pk} 相同（按规范形式重算时发现），待人工核查",
              id_hash=None, id_duplicate_hash=digest, id_masked=mask(canonical))
        report["held_id"] += 1
    for consumer, number, canonical, digest in plan:
        if holder[digest] is not consumer:
            continue
        fields = {}
        if consumer.id_hash != digest:
            fields["id_hash"] = digest
        if number != canonical:
            fields["id_cipher"] = fernet.encrypt(canonical.encode()).decode()
            fields["id_masked"] = mask(canonical)
        if not fields:
            continue
        if _update(Consumer, consumer.pk, **fields):
            report["rehashed"] += 1
        else:  # a row this pass could not read already has the canonical hash
            owner = Consumer.objects.filter(id_hash=digest).values_list("pk", flat=True).first()
            _hold(Consumer, consumer.pk, now,
                  f"身份证号与消费者 #{owner} 相同（按规范形式重算时发现），待人工核查",
                  id_hash=None, id_duplicate_hash=digest, id_masked=mask(canonical))
            report["held_id"] += 1


def fold_phones(Consumer, User, now, report):
    for consumer in Consumer.objects.exclude(phone__regex=ASCII_DIGITS).order_by("pk"):
        canonical = fold(consumer.phone)
        if not PHONE_SHAPE.fullmatch(canonical):
            continue
        other = Consumer.objects.filter(phone=canonical).exclude(pk=consumer.pk).first()
        staff = User.objects.filter(phone=canonical).exclude(pk=consumer.user_id).first()
        if other is None and staff is None:
            Consumer.objects.filter(pk=consumer.pk).update(phone=canonical)
            _rename_user(User, consumer.user_id, consumer.phone, canonical)
            report["phones"] += 1
            continue
        whom = f"消费者 #{other.pk}" if other is not None else f"商户人员用户 #{staff.pk}"
        reason = f"手机号与{whom} 相同（按规范形式读取时发现），待人工核查"
        _hold(Consumer, consumer.pk, now, "；".join(filter(None, [consumer.held_reason, reason])))
        report["held_phone"] += 1
    staff_rows = (User.objects.filter(role="merchant").exclude(phone="")
                  .exclude(phone__regex=ASCII_DIGITS).order_by("pk"))
    for user in staff_rows:
        canonical = fold(user.phone)
        if PHONE_SHAPE.fullmatch(canonical) and not (
                User.objects.filter(phone=canonical).exclude(pk=user.pk).exists()
                or Consumer.objects.filter(phone=canonical).exists()):
            _rename_user(User, user.pk, user.phone, canonical)
            report["phones"] += 1


def _rename_user(User, pk, old_phone, phone):
    """The user's phone, and the user name made from it (c…/m…) when that name is free."""
    User.objects.filter(pk=pk).update(phone=phone)
    user = User.objects.get(pk=pk)
    if user.username[1:] == old_phone:
        _update(User, pk, username=user.username[0] + phone)


def forwards(apps, schema_editor):
    Consumer = apps.get_model("consumers", "Consumer")
    User = apps.get_model("core", "User")
    now = timezone.now()
    report = dict.fromkeys(("rehashed", "held_id", "unreadable", "not_an_id", "phones",
                            "held_phone"), 0)
    recompute_ids(Consumer, now, report)
    fold_phones(Consumer, User, now, report)
    if any(report.values()):
        print(f"\n  consumers 0003: {report} — `huiquan consumers duplicates` lists held accounts")


class Migration(migrations.Migration):

    dependencies = [
        ("consumers", "0002_canonical_ids_and_consent"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
