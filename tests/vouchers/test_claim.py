"""Claiming (invariant 4, R-CLAIM-2, R-CLAIM-3, R-SCHED-3, R-CON-2): every refusal has its code,
and a refusal leaves nothing behind."""

import re

import pytest

from huiquan.campaigns.models import Release
from huiquan.core.errors import DomainError
from huiquan.vouchers import paycode
from huiquan.vouchers.errors import ClaimRefused
from huiquan.vouchers.models import IdempotentRequest, Voucher
from huiquan.vouchers.services import claim_voucher, seal_claims
from tests.conftest import BEIJING, INSIDE_LINFEN

pytestmark = pytest.mark.django_db


def _claim(session, release, where=INSIDE_LINFEN, key=None):
    return claim_voucher(consumer=session.consumer, release_id=release.pk,
                         idempotency_key=key, **where)


def _refused(session, release, code, **kw):
    before = (Voucher.objects.count(), Release.objects.get(pk=release.pk).remaining_count)
    with pytest.raises(DomainError) as refused:
        _claim(session, release, **kw)
    assert refused.value.code == code, refused.value.message
    assert (Voucher.objects.count(), Release.objects.get(pk=release.pk).remaining_count) == before
    return refused.value


def test_a_verified_person_in_linfen_claims_one_voucher(open_release, make_consumer, clock):
    person = make_consumer()
    voucher = _claim(person, open_release)
    assert voucher.claimed_at == clock.now()
    # R-SCHED-3: the earlier of next Wednesday 22:00 and 7 days after claiming
    assert voucher.valid_until == open_release.expires_at
    assert Release.objects.get(pk=open_release.pk).remaining_count == 149
    assert paycode.resolve(paycode.current_code(voucher)) == voucher


def test_not_one_second_early(open_release, make_consumer, clock):
    clock.set("2024-06-21T09:59:59+08:00")
    err = _refused(make_consumer(), open_release, "RELEASE_NOT_OPEN")
    assert "10:00" in err.message


def test_after_expiry_the_release_is_closed(open_release, make_consumer, clock):
    clock.set("2024-06-26T22:00:00+08:00")
    _refused(make_consumer(), open_release, "RELEASE_CLOSED")


def test_unverified_people_and_people_outside_linfen_are_refused(open_release, make_consumer):
    _refused(make_consumer(verified=False), open_release, "NOT_VERIFIED")
    err = _refused(make_consumer(), open_release, "OUTSIDE_GEOFENCE", where=BEIJING)
    assert "临汾市" in err.message
    _refused(make_consumer(), open_release, "LOCATION_REQUIRED",
             where={"lat": None, "lng": None, "coord_system": "wgs84"})


def test_one_claim_per_release_and_none_while_holding_a_live_voucher(open_release,
                                                                   make_consumer, bureau,
                                                                   clock):
    person = make_consumer()
    _claim(person, open_release)
    _refused(person, open_release, "ALREADY_CLAIMED")
    # next week: still holding last week's voucher until it expires Wednesday 22:00
    from huiquan.campaigns.services import confirm_release

    second = open_release.period.releases.get(number=2)
    clock.set("2024-06-27T09:00:00+08:00")
    confirm_release(release=second, amount_fen=100_000_00, reason="测试", actor=bureau)
    clock.set("2024-06-28T10:00:00+08:00")
    assert _claim(person, second).release_id == second.pk  # first one expired: allowed


def test_no_claim_after_using_a_voucher_in_the_campaign(open_release, make_consumer, clock):
    """R-USE-3 / R-CLAIM-3: one use per person for the whole campaign."""
    person = make_consumer()
    voucher = _claim(person, open_release)
    Voucher.objects.filter(pk=voucher.pk).update(used_at=clock.now())
    _refused(person, open_release, "ALREADY_USED_IN_CAMPAIGN")


def test_sold_out_is_its_own_answer(open_release, make_consumer):
    Release.objects.filter(pk=open_release.pk).update(remaining_count=1)
    _claim(make_consumer(), open_release)
    _refused(make_consumer(), open_release, "SOLD_OUT")


def test_a_release_of_another_campaign_or_a_forged_id_is_not_found(open_release, make_consumer):
    person = make_consumer()
    with pytest.raises(ClaimRefused) as refused:
        claim_voucher(consumer=person.consumer, release_id=999_999, **INSIDE_LINFEN)
    assert refused.value.code == "RELEASE_NOT_FOUND" and refused.value.status == 404


def test_an_unconfirmed_release_does_not_open(campaign, make_consumer, clock):
    clock.set("2024-06-21T10:00:00+08:00")
    release = campaign.periods.get(number=1).releases.get(number=1)
    _refused(make_consumer(), release, "RELEASE_NOT_OPEN")


def test_the_same_idempotency_key_gets_the_same_answer(open_release, make_consumer):
    person = make_consumer()
    first = _claim(person, open_release, key="tap-1")
    again = _claim(person, open_release, key="tap-1")
    assert first.pk == again.pk and Voucher.objects.count() == 1
    with pytest.raises(ClaimRefused) as refused:  # a new key: the limit applies
        _claim(person, open_release, key="tap-2")
    assert refused.value.code == "ALREADY_CLAIMED"
    with pytest.raises(ClaimRefused) as replayed:  # replaying tap-2: the same refusal
        _claim(person, open_release, key="tap-2")
    assert replayed.value.code == "ALREADY_CLAIMED"
    with pytest.raises(DomainError) as reused:
        claim_voucher(consumer=person.consumer, release_id=open_release.pk, lat=36.1,
                      lng=111.5, coord_system="wgs84", idempotency_key="tap-1")
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert IdempotentRequest.objects.count() == 2


def test_a_payment_code_stops_working_after_rotation(open_release, make_consumer, clock):
    voucher = _claim(make_consumer(), open_release)
    code = paycode.current_code(voucher)
    clock.advance(seconds=60)
    assert paycode.resolve(code) == voucher  # one minute of grace for the scan
    clock.advance(seconds=60)
    assert paycode.resolve(code) is None  # a screenshot from two minutes ago
    assert paycode.resolve(f"{voucher.paycode_handle}0000000000") in (None, voucher)
    assert paycode.resolve("999999991234567890") is None and paycode.resolve("garbage") is None


def test_a_payment_code_is_18_digits_that_do_not_show_the_voucher_id(open_release,
                                                                    make_consumer):
    """Issue 11 item 2: as long as a bank's 付款码, and no sequential id readable in it."""
    first, second = (_claim(make_consumer(), open_release) for _ in range(2))
    codes = [paycode.current_code(v) for v in (first, second)]
    assert all(re.fullmatch(r"[1-9]\d{17}", c) for c in codes)
    assert second.pk == first.pk + 1
    assert abs(int(codes[1][:8]) - int(codes[0][:8])) != 1  # random handles, not ids
    assert paycode.resolve(codes[0]) == first and paycode.resolve(codes[1]) == second


@pytest.mark.parametrize("typed", [
    "{c}", " {c} ", "{c4} {c8} {c12} {c16}", "{c4}-{c8}-{c12}-{c16}", "{full}",
])
def test_a_payment_code_is_read_in_its_canonical_form(open_release, make_consumer, typed):
    voucher = _claim(make_consumer(), open_release)
    code = paycode.current_code(voucher)
    text = typed.format(c=code, c4=code[:4], c8=code[4:8], c12=code[8:12], c16=code[12:],
                        full=code.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}))
    assert paycode.resolve(text) == voucher


@pytest.mark.parametrize(("digits", "reads"), [
    ("٠١٢٣٤٥٦٧٨٩", False), ("०१२३४५६७८९", False), ("০১২৩৪৫৬৭৮৯", False),
    ("𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗", True), ("⁰¹²³⁴⁵⁶⁷⁸⁹", True),
])
def test_a_payment_code_in_other_digits_is_no_code(open_release, make_consumer, digits, reads):
    """Arabic-Indic, Devanagari or Bengali digits are not the code (NFKC keeps them: refused,
    never a 500); compatibility forms (mathematical, superscript) are ASCII after NFKC."""
    voucher = _claim(make_consumer(), open_release)
    code = paycode.current_code(voucher)
    other = code.translate({ord(str(i)): digits[i] for i in range(10)})
    assert paycode.resolve(other) == (voucher if reads else None)


def test_claims_are_sealed_into_the_audit_chain_in_batches(open_release, make_consumer):
    from huiquan.audit.models import AuditEntry
    from huiquan.audit.selectors import verify_chain

    for _ in range(3):
        _claim(make_consumer(), open_release)
    assert seal_claims() == 3
    assert seal_claims() == 0
    entry = AuditEntry.objects.get(action="vouchers.seal")
    assert entry.after["count"] == 3 and len(entry.after["sha256"]) == 64
    assert verify_chain().ok
