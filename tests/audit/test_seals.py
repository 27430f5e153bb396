"""Sealed claims and sales are checked, not only sealed (invariant 9, issue 12).

Claims and redemptions are sealed into the audit chain in batches by a hash over their rows.
``huiquan audit verify`` recomputes every seal from the rows it covers and names an edited,
deleted or re-sealed voucher or sale — before issue 12 it looked only at the chain, so a sealed
row could be edited and the chain still said "intact"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.audit.selectors import verify_chain
from huiquan.cli import main as cli
from huiquan.redemptions.models import Redemption
from huiquan.redemptions.services import seal_redemptions
from huiquan.vouchers.models import Voucher
from huiquan.vouchers.services import claim_voucher, seal_claims
from tests.conftest import INSIDE_LINFEN
from tests.merchant_fixtures import aircon, redeem_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(shop, holder, make_consumer, open_release):  # type: ignore[no-untyped-def]
    """Five claims (four of them used) and three finished sales — one sale still pending in between when the
    sales are sealed, so the sales' seal covers ids with a gap — all sealed."""
    claim_voucher(consumer=make_consumer().consumer, release_id=open_release.pk,
                  **INSIDE_LINFEN)
    sales = [redeem_at(shop, holder().voucher, [aircon(price)])
             for price in (500_000, 500_061, 600_000, 700_000)]  # the second stays pending
    assert [s.state for s in sales] == ["completed", "pending", "completed", "completed"]
    assert seal_claims() == 5 and seal_redemptions() == 3
    return sales


def test_intact_seals_are_recomputed_and_verify(sealed):  # type: ignore[no-untyped-def]
    result = verify_chain()
    assert result.ok, result
    assert result.seals == 2 and result.old_seals == 0
    sale_seal = AuditEntry.objects.get(action="redemptions.seal").after
    done = [s.pk for s in sealed if s.state == "completed"]
    assert sale_seal["ids"] == [[done[0], done[0]], [done[1], done[2]]]  # exactly these rows
    assert sale_seal["model"] == "redemptions.redemption" and len(sale_seal["rows"]) == 3 * 8
    assert "2 批领券/核销封存" in str(result)


def test_an_edited_sealed_voucher_is_named(sealed):  # type: ignore[no-untyped-def]
    voucher = Voucher.objects.order_by("pk")[2]
    Voucher.objects.filter(pk=voucher.pk).update(valid_until=voucher.valid_until
                                                 + timedelta(days=30))
    result = verify_chain()
    assert not result.ok
    assert result.problem == f"封存的消费券 #{voucher.pk} 在封存后被修改"
    assert result.first_bad_seq == AuditEntry.objects.get(action="vouchers.seal").seq
    assert cli(["audit", "verify"]) == 1


def test_an_edited_sealed_sale_is_named(sealed):  # type: ignore[no-untyped-def]
    sale = sealed[2]
    Redemption.objects.filter(pk=sale.pk).update(created_at=sale.created_at
                                                 - timedelta(days=3))  # backdated
    result = verify_chain()
    assert not result.ok and result.problem == f"封存的核销记录 #{sale.pk} 在封存后被修改"


def test_a_deleted_sealed_voucher_is_named(sealed):  # type: ignore[no-untyped-def]
    unused = Voucher.objects.filter(used_at__isnull=True, redemptions__isnull=True).first()
    Voucher.objects.filter(pk=unused.pk).delete()
    result = verify_chain()
    assert not result.ok and result.problem == f"封存的消费券 #{unused.pk} 已被删除"


@pytest.mark.parametrize("edited", [False, True])
def test_a_sale_sealed_again_after_its_flag_was_reset_is_named(sealed, edited):  # type: ignore[no-untyped-def]
    sale = sealed[0]
    change = {"created_at": sale.created_at - timedelta(days=3)} if edited else {}
    Redemption.objects.filter(pk=sale.pk).update(sealed=False, **change)
    assert seal_redemptions() == 1  # sealed afresh, as if it were a new sale
    result = verify_chain()
    assert not result.ok
    assert result.problem == (f"封存的核销记录 #{sale.pk} 在封存后被修改" if edited
                              else f"核销记录 #{sale.pk} 被重复封存（封存标记被改动过）")


def test_a_seal_from_before_issue_12_is_counted_not_recomputed(sealed):  # type: ignore[no-untyped-def]
    from huiquan.audit.services import compute_hash

    # Rebuild the chain as an older version wrote it: first/last/count/sha256 only.
    for entry in AuditEntry.objects.order_by("seq"):
        after = entry.after
        if entry.action.endswith(".seal"):
            after = {k: after[k] for k in ("count", "first", "last", "sha256")}
        prev = AuditEntry.objects.filter(seq=entry.seq - 1).values_list(
            "entry_hash", flat=True).first() or "0" * 64
        AuditEntry.objects.filter(pk=entry.pk).update(after=after, prev_hash=prev,
                                                      entry_hash="x" * 63 + str(entry.seq % 10))
        fresh = AuditEntry.objects.get(pk=entry.pk)
        AuditEntry.objects.filter(pk=entry.pk).update(entry_hash=compute_hash(
            prev_hash=prev, seq=fresh.seq, at=fresh.at, actor_id=fresh.actor_id,
            actor_name=fresh.actor_name, role=fresh.role, action=fresh.action,
            object_type=fresh.object_type, object_id=fresh.object_id, summary=fresh.summary,
            before=fresh.before, after=fresh.after))
    from huiquan.audit.models import AuditHead

    last = AuditEntry.objects.order_by("-seq").first()
    AuditHead.objects.filter(id=1).update(seq=last.seq, entry_hash=last.entry_hash)
    result = verify_chain()
    assert result.ok, result
    assert (result.seals, result.old_seals) == (0, 2)
    assert "旧格式封存" in str(result)
