"""/admin/ shows every app's tables to the system admin, read-only, without secrets (issue 13:
every app has its admin.py; invariant 7: no ciphertext, keyed hash or payment-code secret)."""

from __future__ import annotations

import pytest
from django.contrib import admin

from huiquan.core.roles import Role

APPS = ["audit", "campaigns", "catalog", "consumers", "ledger", "merchants", "redemptions",
        "vouchers"]


@pytest.fixture
def admin_client(client, make_user):  # type: ignore[no-untyped-def]
    user = make_user(Role.ADMIN, username="root-admin")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def test_every_app_shows_its_tables_in_admin():
    registered = {model._meta.app_label for model in admin.site._registry}
    assert set(APPS) <= registered


def test_a_table_is_shown_and_cannot_be_changed_or_added(admin_client, campaign):  # type: ignore[no-untyped-def]
    release = campaign.periods.first().releases.first()
    assert admin_client.get("/admin/campaigns/release/").status_code == 200
    page = admin_client.get(f"/admin/campaigns/release/{release.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.get("/admin/campaigns/release/add/").status_code == 403
    before = release.remaining_count
    admin_client.post(f"/admin/campaigns/release/{release.pk}/change/", {"remaining_count": 0})
    release.refresh_from_db()
    assert release.remaining_count == before


def test_secrets_are_not_shown(admin_client, open_release, make_consumer):  # type: ignore[no-untyped-def]
    from huiquan.vouchers.services import claim_voucher

    consumer = make_consumer().consumer
    voucher = claim_voucher(consumer=consumer, release_id=open_release.pk, lat="36.69",
                            lng="110.94", coord_system="gcj02")
    page = admin_client.get(f"/admin/vouchers/voucher/{voucher.pk}/change/").content.decode()
    assert voucher.paycode_secret not in page
    consumer.refresh_from_db()
    page = admin_client.get(f"/admin/consumers/consumer/{consumer.pk}/change/").content.decode()
    assert consumer.id_masked in page
    assert consumer.id_cipher not in page and consumer.id_hash not in page
