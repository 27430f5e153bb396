"""Returns (R-RET-1..2, R-USE-5): the refund excludes the subsidy, the voucher stays used."""

from __future__ import annotations

import pytest

from huiquan.campaigns.selectors import release_balance
from huiquan.core.errors import DomainError
from huiquan.ledger.models import Account, AccountKind
from huiquan.reconcile import reconcile
from huiquan.redemptions.returns import return_goods
from huiquan.redemptions.services import payable, redeem_voucher
from huiquan.vouchers.selectors import voucher_state
from tests.merchant_fixtures import aircon, code_of, sofa_line


@pytest.fixture
def sale(make_merchant, catalog, holder, campaign):  # type: ignore[no-untyped-def]
    shop = make_merchant()
    person = holder()
    r = redeem_voucher(actor=shop.till_user, payment_code=code_of(person.voucher),
                       lines=[aircon(500_000), sofa_line(campaign, 300_000)])
    r.shop, r.person = shop, person
    return r


def _payable(r) -> int:  # type: ignore[no-untyped-def]
    return sum(a.balance_fen for a in Account.objects.filter(
        kind=AccountKind.MERCHANT_PAYABLE, party=f"m{r.merchant_id}"))


def test_full_return_before_settlement_gives_the_subsidy_back_to_the_release(sale, open_release,  # type: ignore[no-untyped-def]
                                                                             campaign):
    pool = release_balance(open_release)
    g = return_goods(actor=sale.shop.till_user, redemption_id=sale.pk, items=None, reason="质量问题")
    assert (g.returned_final_fen, g.subsidy_back_fen, g.refund_fen) == (800_000, 80_000, 720_000)
    assert g.before_settlement and g.refund_state == "done"
    assert release_balance(open_release) == pool + 80_000
    assert _payable(sale) == 0
    sale.person.voucher.refresh_from_db()
    assert voucher_state(sale.person.voucher) == "used"  # R-USE-5
    assert reconcile(campaign).ok, reconcile(campaign).table()


def test_partial_return_recomputes_the_subsidy_on_what_is_kept(sale, campaign):  # type: ignore[no-untyped-def]
    sofa = sale.lines.get(kind__name__startswith="坐卧类")
    g = return_goods(actor=sale.shop.till_user, redemption_id=sale.pk,
                     items=[{"line_id": sofa.pk, "quantity": 1}], reason="尺寸不合适")
    assert (g.subsidy_back_fen, g.refund_fen) == (30_000, 270_000)
    sale.refresh_from_db()
    assert sale.subsidy_net_fen == 50_000
    assert reconcile(campaign).ok


def test_return_larger_than_the_sale_is_refused(sale):  # type: ignore[no-untyped-def]
    line = sale.lines.first()
    with pytest.raises(DomainError) as info:
        return_goods(actor=sale.shop.till_user, redemption_id=sale.pk,
                     items=[{"line_id": line.pk, "quantity": 2}], reason="x")
    assert info.value.code == "RETURN_TOO_LARGE"
    return_goods(actor=sale.shop.till_user, redemption_id=sale.pk, items=None, reason="全退")
    with pytest.raises(DomainError) as again:
        return_goods(actor=sale.shop.till_user, redemption_id=sale.pk, items=None, reason="再退")
    assert again.value.code == "RETURN_TOO_LARGE"


def test_another_merchant_cannot_return_my_sale(sale, make_merchant):  # type: ignore[no-untyped-def]
    other = make_merchant()
    with pytest.raises(DomainError) as info:
        return_goods(actor=other.till_user, redemption_id=sale.pk, items=None, reason="x")
    assert info.value.code == "REDEMPTION_NOT_FOUND"


def test_same_return_key_twice_records_one_return(sale):  # type: ignore[no-untyped-def]
    a = return_goods(actor=sale.shop.till_user, redemption_id=sale.pk, items=None, reason="x",
                     idempotency_key="ret-1")
    b = return_goods(actor=sale.shop.till_user, redemption_id=sale.pk, items=None, reason="x",
                     idempotency_key="ret-1")
    assert a.pk == b.pk and sale.returns.count() == 1


def test_same_return_key_with_another_request_is_an_idempotency_mismatch(sale):  # type: ignore[no-untyped-def]
    """Issue 11 item 4: as for sales, a key names one request; reusing it for other goods (or
    another reason) is refused instead of silently answering the first return."""
    line = sale.lines.order_by("pk").first()
    first = return_goods(actor=sale.shop.till_user, redemption_id=sale.pk,
                         items=[{"line_id": line.pk, "quantity": 1}], reason="尺寸不合适",
                         idempotency_key="ret-2")
    for items, reason in ((None, "尺寸不合适"), ([{"line_id": line.pk, "quantity": 1}], "不想要了")):
        with pytest.raises(DomainError) as info:
            return_goods(actor=sale.shop.till_user, redemption_id=sale.pk, items=items,
                         reason=reason, idempotency_key="ret-2")
        assert info.value.code == "IDEMPOTENCY_MISMATCH" and info.value.status == 409
    again = return_goods(actor=sale.shop.till_user, redemption_id=sale.pk,
                         items=[{"line_id": line.pk, "quantity": 1}], reason=" 尺寸不合适 ",
                         idempotency_key="ret-2")
    assert again.pk == first.pk and sale.returns.count() == 1


def test_return_after_settlement_books_a_clawback_receivable(  # type: ignore[no-untyped-def]
        sale, campaign, reviewer, finance, finance2):
    # The sale is approved and paid by a real settlement run (huiquan.settlement).
    from tests.settlement.support import settle_fully
    from tests.verification.factories import approved_submission

    approved_submission(sale, reviewer)
    settle_fully(campaign, finance, finance2)
    g = return_goods(actor=sale.shop.till_user, redemption_id=sale.pk, items=None, reason="退货")
    assert not g.before_settlement and g.subsidy_back_fen == 80_000
    receivable = sum(a.balance_fen for a in Account.objects.filter(
        kind=AccountKind.CLAWBACK_RECEIVABLE, party=f"m{sale.merchant_id}"))
    assert receivable == 80_000  # R-RET-2: the merchant owes it back
    assert _payable(sale) == 0
    assert payable(sale.merchant_id).kind == AccountKind.MERCHANT_PAYABLE
    assert reconcile(campaign).ok, reconcile(campaign).table()
