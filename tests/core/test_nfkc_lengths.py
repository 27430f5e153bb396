"""Limits are checked after NFKC, never before (hostile input second round, F8).

NFKC lengthens some characters many times (``ﷺ`` → 18 characters, ``㍿`` → 株式会社, ``ﬃ`` → ffi),
so a text that fits a column as typed may not fit once normalised: on PostgreSQL that was a
500 ("value too long"), elsewhere a cut in the middle. Every place that normalises either refuses
what is too long once normalised with its own error, or returns something that fits its column."""

from __future__ import annotations

import pytest
from django.test import Client

from huiquan.catalog.services import normalise_gtin
from huiquan.consumers.identity import normalise_phone, validate_id_number
from huiquan.core import identifiers
from huiquan.core.errors import DomainError
from huiquan.core.models import User
from huiquan.merchants.checks import normalise_uscc
from huiquan.staff import services as staff

EXPANDING = ["ﷺ", "㍿", "ﬃ", "℻", "⑳", "１"]  # the last one does not grow: the control


def _error() -> DomainError:
    return DomainError("too long")


@pytest.mark.parametrize("char", EXPANDING)
@pytest.mark.parametrize("count", [1, 3, 8, 13, 18, 40, 64, 200, 2000])
def test_every_normaliser_refuses_or_fits_its_column(char, count):  # type: ignore[no-untyped-def]
    typed = char * count
    column = {normalise_gtin: 13, normalise_uscc: 18, normalise_phone: 11,
              lambda t: validate_id_number(t)[0]: 18,
              lambda t: identifiers.digits(t, _error, max_length=20): 20,
              lambda t: str(identifiers.whole_number(t, _error)): 19,
              lambda t: identifiers.nfkc_within(t, 64, _error): 64,
              staff._username: User._meta.get_field("username").max_length,
              lambda t: staff._text(t, label="姓名", code="NAME_INVALID"):
                  User._meta.get_field("display_name").max_length,
              staff.normalise_staff_phone: User._meta.get_field("phone").max_length}
    for normalise, max_length in column.items():
        try:
            value = normalise(typed)
        except DomainError:
            continue
        assert len(value) <= max_length, (normalise, typed, value)


def test_nfkc_within_refuses_what_grows_past_the_limit():
    assert identifiers.nfkc_within("㍿" * 16, 64, _error) == "株式会社" * 16
    with pytest.raises(DomainError):
        identifiers.nfkc_within("㍿" * 17, 64, _error)  # 17 typed, 68 once normalised
    with pytest.raises(DomainError):
        identifiers.nfkc_within("ﷺ" * 4, 64, _error)  # 4 typed, 72 once normalised


@pytest.mark.django_db
def test_a_staff_name_that_grows_past_its_column_is_refused_not_a_database_error():
    from huiquan.staff.errors import StaffError

    with pytest.raises(StaffError):  # 20 typed, 80 once normalised; the column holds 64
        staff.add_staff(username="clerk1", role="bureau", display_name="㍿" * 20,
                        organisation="隰县工信局")
    with pytest.raises(StaffError):
        staff.add_staff(username="ﷺ" * 9, role="bureau", display_name="王", organisation="工信局")
    assert not User.objects.filter(username="clerk1").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "cut"), [("ﷺ" * 4, True), ("㍿" * 16, False), ("ＫＦＲ" * 21, False)])
def test_the_catalogue_search_says_when_it_is_too_long_instead_of_cutting(campaign, bureau,  # type: ignore[no-untyped-def]
                                                                        typed, cut):
    client = Client(raise_request_exception=False)
    client.force_login(bureau)
    response = client.get("/office/catalog/", {"q": typed})
    assert response.status_code == 200
    assert ("搜索词太长" in response.content.decode()) is cut
    if cut:
        assert response.context["page"].paginator.count == 0


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ﷺ" * 20, "㍿" * 100, "a" * 300])
def test_an_office_login_with_a_name_that_grows_is_refused_not_a_500(campaign, typed):  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    response = client.post("/office/login/", {"username": typed, "password": "x" * 12})
    assert response.status_code == 200 and response.context["form"].errors
