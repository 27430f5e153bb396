"""The merchant's documents pages and the protected file view: bad files get a clear message
in Chinese and nothing is kept (issue 14 "Bad input"; invariants 7 and 8)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from huiquan.verification import services
from huiquan.verification.models import Document, Submission, SubmissionState
from tests.verification.factories import fill_submission, photo, plain_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(sale):  # type: ignore[no-untyped-def]
    return services.open_submission(actor=sale.user, redemption_id=sale.redemption.pk)


def _client(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def _upload(client, submission, kind, name, data, content_type="image/jpeg"):  # type: ignore[no-untyped-def]
    url = reverse("merchant:submission_upload", args=[submission.pk]) + f"?kind={kind}"
    return client.post(url, {"kind": kind,
                              "file": SimpleUploadedFile(name, data, content_type=content_type)})


def test_the_merchant_opens_fills_and_sends_from_the_pages(client, sale, draft):
    c = _client(client, sale.user)
    page = c.get(reverse("merchant:documents"))
    assert page.status_code == 200 and "还剩" in page.content.decode()
    page = c.get(reverse("merchant:submission", args=[draft.pk]))
    assert "消费者手机号" in page.content.decode() and "能效标识照片" in page.content.decode()
    assert _upload(c, draft, "id_card", "id.jpg", photo(5)).status_code == 302
    assert Document.objects.filter(submission=draft, kind="id_card").count() == 1


def test_a_script_named_jpg_is_refused_with_a_clear_message(client, sale, draft):
    c = _client(client, sale.user)
    response = _upload(c, draft, "id_card", "id.jpg", b"#!/bin/sh\nrm -rf / --no-preserve-root\n")
    assert response.status_code == 422
    assert "文件内容不是有效的照片" in response.content.decode()
    assert Document.objects.count() == 0


def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, sale, draft):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buf, format="PNG")  # 400 million pixels, ~50 KB
    assert len(buf.getvalue()) < 200_000
    response = _upload(_client(client, sale.user), draft, "goods_photo", "big.png", buf.getvalue(),
                       "image/png")
    assert response.status_code == 422 and "像素过大" in response.content.decode()
    assert Document.objects.count() == 0


def test_a_200_mb_upload_is_refused_from_its_length_before_reading_it(client, sale, draft):
    c = _client(client, sale.user)
    url = reverse("merchant:submission_upload", args=[draft.pk]) + "?kind=goods_photo"
    response = c.post(url, {"kind": "goods_photo",
                            "file": SimpleUploadedFile("big.jpg", photo(3))},
                      CONTENT_LENGTH=str(200 * 1024 * 1024))
    assert response.status_code == 413
    assert "文件过大" in response.content.decode()
    assert Document.objects.count() == 0


def test_a_pdf_with_javascript_is_refused(client, sale, draft):
    c = _client(client, sale.user)
    evil = plain_pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")
    response = _upload(c, draft, "invoice", "invoice.pdf", evil, "application/pdf")
    assert response.status_code == 422 and "脚本" in response.content.decode()
    assert _upload(c, draft, "invoice", "invoice.pdf", plain_pdf(),
                   "application/pdf").status_code == 302
    assert Document.objects.filter(kind="invoice").count() == 1


def test_another_shops_sale_and_submission_are_refused_on_the_pages(client, sale, draft,
                                                                    make_merchant):
    other = make_merchant()
    c = _client(client, other.till_user)
    response = c.post(reverse("merchant:documents"), {"redemption": sale.redemption.pk})
    assert response.status_code == 404 and "找不到这笔核销记录" in response.content.decode()
    assert c.get(reverse("merchant:submission", args=[draft.pk])).status_code == 404
    assert _upload(c, draft, "id_card", "id.jpg", photo(5)).status_code == 404
    assert Submission.objects.count() == 1 and Document.objects.count() == 0


def test_edit_after_approval_is_refused_on_the_pages(client, sale, draft, reviewer):
    from huiquan.verification.tasks import check_submission

    fill_submission(draft, sale.user, sale.redemption)
    services.send_submission(actor=sale.user, submission_id=draft.pk)
    check_submission.call(submission_id=draft.pk, version=1)
    services.approve_submission(actor=reviewer, submission_id=draft.pk)
    c = _client(client, sale.user)
    response = c.post(reverse("merchant:submission", args=[draft.pk]),
                      {"invoice_amount": "1.00"})
    assert response.status_code == 409 and "不能再修改" in response.content.decode()
    assert _upload(c, draft, "goods_photo", "more.jpg", photo(42)).status_code == 409
    draft.refresh_from_db()
    assert draft.state == SubmissionState.APPROVED and draft.invoice_amount_fen == 500_000


def test_documents_are_served_only_to_the_shop_reviewers_and_auditors(client, sale, draft,
                                                                      make_merchant, reviewer,
                                                                      auditor, bureau):
    _upload(_client(client, sale.user), draft, "id_card", "id.jpg", photo(5))
    document = Document.objects.get()
    url = reverse("merchant:document", args=[document.pk])
    for user, status in ((sale.user, 200), (reviewer, 200), (auditor, 200), (bureau, 404),
                         (make_merchant().till_user, 404)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Type"] == "image/jpeg"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Security-Policy"].startswith("sandbox")
            body = b"".join(response.streaming_content)
            assert b"Exif" not in body[:200]
    client.logout()
    assert client.get(url).status_code == 404


def test_uploaded_photos_lose_their_exif(sale, draft):
    from PIL import Image

    image = Image.open(io.BytesIO(photo(8)))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif.tobytes())
    assert b"SecretCam" in buf.getvalue()
    document = services.add_document(actor=sale.user, submission_id=draft.pk, kind="id_card",
                                     name="id.jpg", data=buf.getvalue())
    from huiquan.verification import storage

    assert b"SecretCam" not in storage.read(document)
