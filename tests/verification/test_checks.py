"""Each automatic check passes on good data and fails on its bad variant (R-DOC-1..2)."""

from __future__ import annotations

import pytest

from huiquan.merchants import services as merchant_services
from huiquan.verification.models import SubmissionState
from tests.verification.factories import GOOD_INVOICE, invoice_photo, label_photo, photo
from tests.verification.helpers import outcomes, sent

pytestmark = pytest.mark.django_db

OTHER_AIRCON = "6900000000021"  # another GTIN on the sample register


def test_a_good_submission_passes_every_rule(sale):
    submission = sent(sale)
    assert submission.state == SubmissionState.IN_REVIEW
    result = outcomes(submission)
    assert len(result) == 11 and set(result.values()) == {"pass"}, result


@pytest.mark.parametrize(("facts", "rule"), [
    ({"invoice_buyer_name": "李四"}, "buyer_name"),  # an invoice in another name
    ({"invoice_amount": "4999.00", "payment_amount": "4999.00"}, "invoice_amount"),
    ({"payment_amount": "4000.00"}, "payment_amount"),
    ({"invoice_date": "2024-06-01"}, "invoice_date"),  # before the voucher was claimed
    ({"energy_label_gtin": "6900000000021"}, "gtin_register"),  # not the GTIN sold
])
def test_a_bad_variant_fails_exactly_its_rule(sale, facts, rule):
    result = outcomes(sent(sale, **facts))
    failed = {r for r, o in result.items() if o == "fail"}
    assert rule in failed, result
    # The invoice's QR code was made from the good facts: a typed date that differs fails it too.
    assert failed - {rule} <= {"invoice_qr"}, result


def test_the_phone_rule_fails_for_another_phone(sale):
    from huiquan.verification.checks import Seen, phone_rule

    submission = sent(sale)
    assert phone_rule(Seen(submission, sale.redemption, [])).outcome == "pass"
    submission.phone = "13999999999"
    assert phone_rule(Seen(submission, sale.redemption, [])).outcome == "fail"


def test_a_wrong_barcode_photo_fails_the_label_rule(sale):
    result = outcomes(sent(sale, uploads={"energy_label": label_photo(OTHER_AIRCON, 9)}))
    assert result["label_barcode"] == "fail", result


def test_an_unreadable_label_photo_asks_a_person(sale):
    result = outcomes(sent(sale, uploads={"energy_label": photo(31)}))
    assert result["label_barcode"] == "review", result


def test_the_invoice_qr_code_is_read_and_compared(sale):
    good = outcomes(sent(sale))
    assert good["invoice_qr"] == "pass"


def test_an_invoice_whose_qr_code_says_another_number_fails(make_sale):
    sale = make_sale()
    forged = invoice_photo(number="24142000000099999999", issued="2024-06-21",
                           amount_yuan="5000.00", seed=55)
    result = outcomes(sent(sale, uploads={"invoice": forged}))
    assert result["invoice_qr"] == "fail", result


def test_an_invoice_without_a_qr_code_asks_a_person(sale):
    result = outcomes(sent(sale, uploads={"invoice": photo(56)}))
    assert result["invoice_qr"] == "review", result


def test_a_reused_invoice_number_fails_the_second_submission(make_sale):
    first, second = make_sale(), make_sale()
    sent(first, seed=1)
    result = outcomes(sent(second, seed=2, invoice_number=GOOD_INVOICE[:-3] + "001"))
    assert result["invoice_unique"] == "fail", result


def test_a_near_identical_photo_fails_the_photo_rule(make_sale):
    import io

    from PIL import Image, ImageEnhance

    first, second = make_sale(), make_sale()
    sent(first, seed=1)
    # The first shop's goods photo, slightly brightened and re-compressed.
    original = Image.open(io.BytesIO(photo(104)))
    brighter = ImageEnhance.Brightness(original).enhance(1.05)
    buf = io.BytesIO()
    brighter.save(buf, format="JPEG", quality=70)
    result = outcomes(sent(second, seed=2, uploads={"goods_photo": buf.getvalue()}))
    assert result["photo_unique"] == "fail", result
    assert outcomes(sent(make_sale(), seed=3))["photo_unique"] == "pass"


def test_a_suspended_merchant_fails_the_merchant_rule(sale, reviewer, bureau):
    from huiquan.verification import services
    from huiquan.verification.tasks import check_submission
    from tests.verification.factories import fill_submission

    submission = services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)
    fill_submission(submission, sale.user, sale.redemption)
    services.send_submission(actor=sale.user, submission_id=submission.pk)
    merchant_services.suspend_merchant(merchant=sale.shop, actor=reviewer, reason="核查中")
    check_submission.call(submission_id=submission.pk, version=1)
    submission.refresh_from_db()
    assert outcomes(submission)["merchant_active"] == "fail"


def test_the_checks_task_is_idempotent(sale):
    from huiquan.verification.tasks import check_submission

    submission = sent(sale)
    assert check_submission.call(submission_id=submission.pk, version=1) == "skipped"
    assert submission.checks.count() == 11
