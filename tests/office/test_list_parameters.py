"""Dates and numbers typed into the office's list addresses get a clear message, never a 500
(hostile input second round, F2; invariant 8): the audit log's date range, the pages of the
audit log and of the catalogue."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
HUGE = "9" * 5000  # more digits than int() reads


@pytest.fixture
def office(bureau) -> Client:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(bureau)
    return client


@pytest.mark.parametrize("day", ["99999-01-01", "0000-01-01", "0001-01-01", "9999-12-31",
                                 "1-1-1", "-1-01-01", "2024-02-30", HUGE, "１９９９-０１-０１"])
@pytest.mark.parametrize("field", ["day_from", "day_to"])
def test_an_out_of_range_audit_date_is_a_form_error_not_a_500(office, campaign, field, day):  # type: ignore[no-untyped-def]
    response = office.get("/office/audit/", {field: day})
    assert response.status_code == 200, response.content[:200]
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert "日期" in form.errors[field][0]


def test_the_edge_of_the_accepted_range_still_filters(office, campaign):  # type: ignore[no-untyped-def]
    response = office.get("/office/audit/", {"day_from": "2000-01-01", "day_to": "2099-12-31"})
    assert response.status_code == 200 and not response.context["form"].errors
    assert response.context["page"].paginator.count > 0  # loading the campaign is audited


@pytest.mark.parametrize("page", [HUGE, "-1", "0", "x", "1e9", "١", "99999999999999999999"])
@pytest.mark.parametrize("path", ["/office/audit/", "/office/catalog/"])
def test_any_page_number_shows_a_page(office, campaign, path, page):  # type: ignore[no-untyped-def]
    response = office.get(path, {"page": page})
    assert response.status_code == 200, response.content[:200]
