"""Property tests over Unicode's digit classes for every identifier of issue 11, item 1.

Each identifier is typed with each of its characters drawn from every way Unicode writes it:
decimal digits of any script (category Nd: Arabic-Indic ٣, Devanagari ३, fullwidth ３,
mathematical 𝟑 …) and the other characters with a digit value (superscript ³, subscript ₃,
circled ③, parenthesized ⑶, dingbat ❸ …). The rule: the typed text is accepted exactly when
NFKC turns every character into the plain ASCII one, and then it is the same canonical value —
the same person, the same product, the same licence; otherwise it is the field's own error.
Never a second value, never another exception (a 500).
"""

from __future__ import annotations

import functools
import string
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from huiquan.catalog.errors import GtinInvalid
from huiquan.catalog.services import normalise_gtin
from huiquan.consumers.errors import AuthError, IdentityError
from huiquan.consumers.identity import normalise_phone, validate_id_number
from huiquan.merchants.checks import normalise_uscc
from huiquan.merchants.errors import UsccInvalid
from tests.conftest import NOTICE, make_id_number
from tests.merchant_fixtures import valid_uscc

ID_NUMBER = make_id_number(33)
ID_WITH_X = "14103119800101001X"
PHONE = "13800138000"
GTIN = "6900000000014"
USCC = valid_uscc(3)


@functools.cache
def forms() -> dict[str, tuple[str, ...]]:
    """Every character that stands for an ASCII digit or capital letter: by its digit value, or
    because NFKC (then upper case) makes it that character."""
    found: dict[str, list[str]] = {c: [] for c in string.digits + string.ascii_uppercase}
    for point in range(0x110000):
        char = chr(point)
        value = unicodedata.digit(char, None)
        plain = unicodedata.normalize("NFKC", char).upper()
        if value is not None:
            found[str(value)].append(char)
        elif plain in found and plain != char:
            found[plain].append(char)
    return {k: tuple(v) for k, v in found.items()}


def reads_as(char: str, canonical: str) -> bool:
    return unicodedata.normalize("NFKC", char).upper() == canonical


def plain(typed: str, canonical: str) -> bool:
    """Whether NFKC (and upper case) reads every typed character as the canonical one."""
    return all(reads_as(t, c) for t, c in zip(typed, canonical, strict=True))


def test_the_digit_classes_are_all_there() -> None:
    categories = {unicodedata.category(c) for c in forms()["3"]}
    assert {"Nd", "No"} <= categories
    assert {"٣", "३", "３", "𝟑", "³", "₃", "③", "⑶", "❸"} <= set(forms()["3"])
    assert {"Ｘ", "ｘ", "Ⅹ", "x"} <= set(forms()["X"])
    assert len(forms()["3"]) > 60


def _same(c: str) -> st.SearchStrategy[str]:
    """c, or a character NFKC reads as c (fullwidth ３, superscript ³, mathematical 𝟑, ③ …)."""
    readable = [f for f in forms().get(c, ()) if reads_as(f, c)]
    return st.one_of(st.just(c), st.sampled_from(readable)) if readable else st.just(c)


def _other(c: str) -> st.SearchStrategy[str]:
    """A character with c's digit value that NFKC does not make c (٣, ३, ⑶, ❸ …)."""
    return st.sampled_from([f for f in forms()[c] if not reads_as(f, c)])


def written_alike(canonical: str) -> st.SearchStrategy[str]:
    """The canonical text with any of its characters in a form NFKC reads as it."""
    return st.tuples(*[_same(c) for c in canonical]).map("".join)


@st.composite
def written_otherwise(draw, canonical: str) -> str:  # type: ignore[no-untyped-def]
    """As above, with at least one digit in another script's (or a decorated) form."""
    typed = list(draw(written_alike(canonical)))
    spots = [i for i, c in enumerate(canonical) if c.isdigit()]
    for i in draw(st.lists(st.sampled_from(spots), min_size=1, max_size=len(spots))):
        typed[i] = draw(_other(canonical[i]))
    return "".join(typed)


def typed_as(canonical: str) -> st.SearchStrategy[str]:
    return st.one_of(written_alike(canonical), written_otherwise(canonical))


def check(normalise, error, canonical: str, typed: str) -> None:  # type: ignore[no-untyped-def]
    try:
        result = normalise(typed)
    except error:
        assert not plain(typed, canonical), f"refused {typed!r}, which NFKC reads as {canonical}"
        return
    assert result == canonical, f"{typed!r} became {result!r}, not {canonical!r}"
    assert plain(typed, canonical), f"accepted {typed!r}: its digits are another script's"


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@given(typed_as(ID_NUMBER))
@example(fullwidth(ID_NUMBER))
@example(ID_NUMBER.translate(SUPERSCRIPTS))
@example(ID_NUMBER[:17].translate(ARABIC_INDIC) + ID_NUMBER[17])
def test_an_id_number_in_any_digits_is_the_same_number_or_refused(typed: str) -> None:
    check(lambda t: validate_id_number(t)[0], IdentityError, ID_NUMBER, typed)


@given(typed_as(ID_WITH_X))
@example(ID_WITH_X.lower())
@example(fullwidth(ID_WITH_X.lower()))
def test_an_id_number_ending_in_x_in_any_form(typed: str) -> None:
    check(lambda t: validate_id_number(t)[0], IdentityError, ID_WITH_X, typed)


@given(typed_as(PHONE))
@example(fullwidth(PHONE))
@example(PHONE.translate(SUPERSCRIPTS))
@example("13" + PHONE[2:].translate(ARABIC_INDIC))
def test_a_phone_in_any_digits_is_the_same_phone_or_refused(typed: str) -> None:
    check(normalise_phone, AuthError, PHONE, typed)


@given(typed_as("+86" + PHONE))
@example(fullwidth("+86" + PHONE))
def test_a_phone_with_its_country_code(typed: str) -> None:
    check(lambda t: "+86" + normalise_phone(t), AuthError, "+86" + PHONE, typed)


@given(typed_as(GTIN))
@example(fullwidth(GTIN))
@example(GTIN.translate(SUPERSCRIPTS))
@example(GTIN.translate(ARABIC_INDIC))
def test_a_gtin_in_any_digits_is_the_same_product_or_refused(typed: str) -> None:
    check(normalise_gtin, GtinInvalid, GTIN, typed)


@given(typed_as(USCC))
@example(fullwidth(USCC.lower()))
@example(USCC.translate(SUPERSCRIPTS))
@example(USCC.translate(ARABIC_INDIC))
def test_a_uscc_in_any_digits_or_letters_is_the_same_licence_or_refused(typed: str) -> None:
    check(normalise_uscc, UsccInvalid, USCC, typed)


@given(st.text(max_size=40))
def test_any_text_is_a_clear_refusal_never_another_exception(text: str) -> None:
    for normalise, error in ((validate_id_number, IdentityError), (normalise_phone, AuthError),
                             (normalise_gtin, GtinInvalid), (normalise_uscc, UsccInvalid)):
        try:
            normalise(text)
        except error:
            pass


# --- through the service: never a second account ---------------------------------------------


@pytest.fixture
def two_residents(make_consumer):  # type: ignore[no-untyped-def]
    from huiquan.consumers import services

    first, second = make_consumer(verified=False), make_consumer(verified=False)
    services.submit_identity(consumer=first.consumer, real_name="王五", id_number=ID_NUMBER,
                             privacy_consent=NOTICE)
    return second


@pytest.mark.django_db
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=typed_as(ID_NUMBER))
def test_the_same_person_in_any_script_never_verifies_a_second_account(two_residents, typed):  # type: ignore[no-untyped-def]
    from huiquan.consumers import services
    from huiquan.consumers.models import Consumer

    with pytest.raises(IdentityError) as refused:
        services.submit_identity(consumer=two_residents.consumer, real_name="王五",
                                 id_number=typed, privacy_consent=NOTICE)
    assert refused.value.code == ("ID_TAKEN" if plain(typed, ID_NUMBER) else "ID_INVALID")
    assert Consumer.objects.filter(verified_at__isnull=False).count() == 1


@pytest.mark.django_db
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(phone=typed_as(PHONE))
def test_the_same_phone_in_any_script_is_one_account_and_one_limit(clock, phone):  # type: ignore[no-untyped-def]
    """Codes asked for the phone in any form count toward the one phone's limits."""
    from huiquan.consumers import services
    from huiquan.consumers.errors import RateLimited
    from huiquan.consumers.models import OtpCode

    clock.advance(hours=2)  # the previous example's codes are out of the hour
    services.request_otp(phone=PHONE, ip=None)
    try:
        services.request_otp(phone=phone, ip=None)
    except RateLimited:
        assert plain(phone, PHONE)
    except AuthError as refused:
        assert refused.code == "PHONE_INVALID" and not plain(phone, PHONE)
    else:
        raise AssertionError(f"{phone!r} asked for a second code within the minute")
    assert set(OtpCode.objects.values_list("phone", flat=True)) == {PHONE}
