"""The review queue in /office/: filters, the page with everything side by side, decisions by
reviewers only (R-DOC-2, R-ROLE-1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from huiquan.verification.models import SubmissionState
from tests.verification.helpers import sent

pytestmark = pytest.mark.django_db


def test_queue_filters_by_failing_check_state_merchant_and_age(client, make_sale, reviewer,
                                                               clock):
    good = sent(make_sale(), seed=1)
    bad = sent(make_sale(), seed=2, invoice_buyer_name="李四")
    client.force_login(reviewer)
    page = client.get(reverse("office:review_queue")).content.decode()
    assert f"#{good.pk}（" in page and f"#{bad.pk}（" in page
    page = client.get(reverse("office:review_queue"), {"failing": "buyer_name"}).content.decode()
    assert f"#{bad.pk}（" in page and f"#{good.pk}（" not in page
    page = client.get(reverse("office:review_queue"), {"state": "approved"}).content.decode()
    assert "没有符合条件的报备资料" in page
    page = client.get(reverse("office:review_queue"),
                      {"merchant": good.merchant_id}).content.decode()
    assert f"#{good.pk}（" in page
    page = client.get(reverse("office:review_queue"), {"age": "3"}).content.decode()
    assert "没有符合条件的报备资料" in page
    clock.advance(days=4)
    page = client.get(reverse("office:review_queue"), {"age": "3"}).content.decode()
    assert f"#{good.pk}（" in page


def test_reviewer_sees_everything_side_by_side_and_approves(client, sale, reviewer):
    submission = sent(sale)
    client.force_login(reviewer)
    page = client.get(reverse("office:review", args=[submission.pk])).content.decode()
    for text in ("发票购买方 = 消费者实名", "能效标识条码 = 售出商品", "消费者身份证件", "审核通过",
                 sale.redemption.consumer.real_name):
        assert text in page
    assert reverse("office:review_document", args=[submission.documents.first().pk]) in page
    response = client.post(reverse("office:review", args=[submission.pk]), {"action": "approve"})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.state == SubmissionState.APPROVED


def test_a_correction_is_shown_to_the_merchant(client, sale, reviewer):
    submission = sent(sale)
    client.force_login(reviewer)
    client.post(reverse("office:review", args=[submission.pk]),
                {"action": "correction", "reason": "付款凭证看不清，请重拍"})
    client.force_login(sale.user)
    page = client.get(reverse("merchant:submission", args=[submission.pk])).content.decode()
    assert "付款凭证看不清，请重拍" in page and "提交审核" in page


def test_auditor_reads_but_cannot_decide(client, sale, auditor):
    submission = sent(sale)
    client.force_login(auditor)
    assert client.get(reverse("office:review", args=[submission.pk])).status_code == 200
    response = client.post(reverse("office:review", args=[submission.pk]), {"action": "approve"})
    assert response.status_code == 403
    submission.refresh_from_db()
    assert submission.state == SubmissionState.IN_REVIEW


def test_a_refused_decision_is_a_clear_message_and_changes_nothing(client, sale, reviewer):
    submission = sent(sale, invoice_buyer_name="李四")
    client.force_login(reviewer)
    response = client.post(reverse("office:review", args=[submission.pk]), {"action": "approve"})
    assert response.status_code == 409 and "不能审核通过" in response.content.decode()
    response = client.post(reverse("office:review", args=[submission.pk]),
                           {"action": "reject", "reason": ""})
    assert response.status_code == 422 and "请填写原因" in response.content.decode()
    submission.refresh_from_db()
    assert submission.state == SubmissionState.IN_REVIEW


def test_a_decision_on_a_page_that_is_out_of_date_is_refused(client, make_sale, reviewer,
                                                             make_user):
    """Two reviewers open a large sale; the first approves (it waits for a second pair of eyes);
    the second's "审核通过" was pressed on the old page: refused, not read as the confirmation."""
    submission = sent(make_sale(price_fen=1_500_000))
    other = make_user("reviewer", "reviewer-2")
    seen = {"action": "approve", "state": "in_review", "version": "1"}
    client.force_login(reviewer)
    assert client.post(reverse("office:review", args=[submission.pk]), seen).status_code == 302
    client.force_login(other)
    response = client.post(reverse("office:review", args=[submission.pk]), seen)
    assert response.status_code == 409 and "请刷新页面" in response.content.decode()
    submission.refresh_from_db()
    assert submission.state == SubmissionState.SECOND_REVIEW
    page = client.get(reverse("office:review", args=[submission.pk])).content.decode()
    assert "复核通过" in page
    response = client.post(reverse("office:review", args=[submission.pk]),
                           {"action": "approve", "state": "second_review", "version": "1"})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.state == SubmissionState.APPROVED
