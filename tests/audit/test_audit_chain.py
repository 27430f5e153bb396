"""Invariant 9: the audit log is a hash chain; any edit, deletion, reordering or truncation is
detected and the first bad entry named."""

import pytest
from django.db import transaction

from huiquan.audit.models import AuditEntry, AuditHead
from huiquan.audit.selectors import verify_chain
from huiquan.audit.services import compute_hash, record, write_checkpoint
from huiquan.campaigns.services import receive_funds
from huiquan.cli import main as cli

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(campaign, finance):
    city = campaign.funding_sources.get(code="city")
    for i in range(4):
        receive_funds(source=city, amount_fen=1_000_00, reference=f"凭证{i}", actor=finance)
    assert AuditEntry.objects.count() == 6  # load + county receipt + 4 receipts
    return AuditEntry.objects.order_by("seq")


def test_an_intact_chain_verifies_and_records_who_did_what(chain, finance):
    result = verify_chain()
    assert result.ok and result.checked == 6
    last = chain.last()
    assert last.actor == finance and last.role == "finance" and last.action == "funds.receive"
    # the fourth 1,000-yuan receipt: three already received before it
    assert last.before == {"received_fen": 300_000} and last.after["received_fen"] == 400_000
    assert cli(["audit", "verify"]) == 0


def test_an_edited_entry_is_named(chain):
    AuditEntry.objects.filter(seq=3).update(summary="县级财政 资金到位 1.00 元")
    result = verify_chain()
    assert not result.ok and result.first_bad_seq == 3 and "修改" in result.problem
    assert cli(["audit", "verify"]) == 1


def test_an_edited_before_after_value_is_named(chain):
    AuditEntry.objects.filter(seq=4).update(after={"received_fen": 1})
    assert verify_chain().first_bad_seq == 4


def test_a_deleted_entry_is_named(chain):
    AuditEntry.objects.filter(seq=4).delete()
    result = verify_chain()
    assert not result.ok and result.first_bad_seq == 4 and "删除" in result.problem


def test_two_swapped_entries_are_detected(chain):
    a, b = AuditEntry.objects.get(seq=3), AuditEntry.objects.get(seq=4)
    fields = ["at", "actor_name", "role", "action", "object_type", "object_id", "summary",
              "before", "after", "prev_hash", "entry_hash"]
    values_a = {f: getattr(a, f) for f in fields}
    values_b = {f: getattr(b, f) for f in fields}
    AuditEntry.objects.filter(seq=3).update(entry_hash="x" * 64)  # free the unique hash
    AuditEntry.objects.filter(seq=4).update(**values_a)
    AuditEntry.objects.filter(seq=3).update(**values_b)
    result = verify_chain()
    assert not result.ok and result.first_bad_seq == 3


def test_a_truncated_tail_is_caught_by_the_outside_checkpoint(chain):
    write_checkpoint()
    AuditEntry.objects.filter(seq__gte=5).delete()
    head = AuditEntry.objects.get(seq=4)
    AuditHead.objects.filter(id=1).update(seq=4, entry_hash=head.entry_hash)  # a careful forger
    result = verify_chain()
    assert not result.ok and result.first_bad_seq == 5 and "截断" in result.problem


def test_a_truncated_tail_is_caught_by_the_head_row(chain):
    AuditEntry.objects.filter(seq=6).delete()
    result = verify_chain()
    assert not result.ok and "截断" in result.problem


def test_a_forged_checkpoint_line_is_detected(chain, settings):
    write_checkpoint()
    with open(settings.HUIQUAN_AUDIT_CHECKPOINT_FILE, "a") as fh:
        fh.write(f"6 {'0' * 64} 2024-06-20T00:00:00+08:00 {'f' * 64}\n")
    result = verify_chain()
    assert not result.ok and "签名无效" in result.problem


def _rewrite_last_entry_consistently() -> None:
    """A careful forger: edits the newest entry and recomputes its hash and the head, so every
    check inside the database passes — only the checkpoint outside it still knows."""
    last = AuditEntry.objects.get(seq=6)
    last.summary = "市级财政 资金到位 1.00 元"
    last.entry_hash = compute_hash(
        prev_hash=last.prev_hash, seq=last.seq, at=last.at, actor_id=last.actor_id,
        actor_name=last.actor_name, role=last.role, action=last.action,
        object_type=last.object_type, object_id=last.object_id, summary=last.summary,
        before=last.before, after=last.after)
    last.save()
    AuditHead.objects.filter(id=1).update(entry_hash=last.entry_hash)


def test_a_rewritten_chain_does_not_match_its_checkpoint(chain):
    write_checkpoint()
    _rewrite_last_entry_consistently()
    result = verify_chain()
    assert not result.ok and result.first_bad_seq == 6
    assert "检查点" in result.problem and "重写" in result.problem


def test_without_the_checkpoint_the_same_rewrite_goes_unnoticed(chain, monkeypatch):
    """The twin: the rewrite above passes every check but the checkpoint's."""
    from huiquan.audit import selectors

    write_checkpoint()
    _rewrite_last_entry_consistently()
    monkeypatch.setattr(selectors, "read_checkpoints", lambda: [])
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(campaign):
    with pytest.raises(RuntimeError):
        record(actor=None, action="x", obj_type="y")
    with transaction.atomic():
        record(actor=None, action="x", obj_type="y")
    assert verify_chain().ok
