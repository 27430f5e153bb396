"""Market supervision's cases: opened from a signal or a complaint, notes and evidence, one
decision — warning, suspension, disqualification (发现一户取消一户), referral (R-INT-1..2,
R-ROLE-1). Bad input gets a clear refusal and changes nothing."""

from __future__ import annotations

import io

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.core.errors import DomainError, PermissionRefused
from huiquan.integrity import services
from huiquan.integrity.models import Case, CaseDecision, CaseEntry, CaseState, Signal
from huiquan.merchants.models import IntegrityCase, Merchant, MerchantState
from tests.merchant_fixtures import aircon, error_code, redeem_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(make_merchant, catalog):  # type: ignore[no-untyped-def]
    return make_merchant()


@pytest.fixture
def burst_signal(campaign, shop, sell):  # type: ignore[no-untyped-def]
    for minute in range(5):
        sell(shop, at=f"2024-06-21T11:0{minute}:00+08:00")
    services.scan(campaign=campaign)
    return Signal.objects.get()


def png(width: int = 300, height: int = 200) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def pdf(*, script: bool = False) -> bytes:
    from tests.verification.factories import plain_pdf

    return plain_pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >> " if script else "")


def opened(market, campaign, signal) -> Case:  # type: ignore[no-untyped-def]
    return services.open_case(actor=market, campaign=campaign, signal_id=signal.pk)


def test_a_case_opened_from_a_signal_keeps_the_evidence_of_that_moment(market, campaign,
                                                                       burst_signal):
    case = opened(market, campaign, burst_signal)
    assert (case.merchant_id, case.state, case.origin) == (burst_signal.merchant_id, "open",
                                                           "signal")
    assert case.signal_snapshot["evidence"] == burst_signal.evidence
    assert case.title == burst_signal.summary
    entry = AuditEntry.objects.filter(action="integrity.case_open").get()
    assert entry.object_id == str(case.pk) and entry.actor_id == market.pk
    # A second case on the same signal while the first is open: refused, nothing added.
    assert error_code(lambda: opened(market, campaign, burst_signal)) == "CASE_ALREADY_OPEN"
    assert Case.objects.count() == 1


def test_a_complaint_names_a_shop_of_this_campaign(market, campaign, shop):
    case = services.open_case(actor=market, campaign=campaign, merchant_id=shop.pk,
                              complaint="顾客反映：店员让其在空白确认书上签字\n未见到商品")
    assert (case.origin, case.title) == ("complaint", "顾客反映：店员让其在空白确认书上签字")
    assert error_code(lambda: services.open_case(actor=market, campaign=campaign,
                                                 merchant_id=shop.pk, complaint="  ")
                      ) == "TEXT_REQUIRED"
    assert error_code(lambda: services.open_case(actor=market, campaign=campaign,
                                                 merchant_id=999_999, complaint="x")
                      ) == "CASE_INVALID"
    assert error_code(lambda: services.open_case(actor=market, campaign=campaign,
                                                 signal_id=999_999)) == "SIGNAL_NOT_FOUND"
    assert Case.objects.count() == 1


def test_notes_and_evidence_images_are_kept_checked_by_content(market, campaign, burst_signal):
    case = opened(market, campaign, burst_signal)
    note = services.add_entry(actor=market, campaign=campaign, case_id=case.pk,
                              text="现场核查：店内无该型号空调库存", upload=png())
    assert note.content_type == "image/png" and len(note.sha256) == 64
    assert note.file.name.startswith("integrity/") and note.file.size == note.size
    services.add_entry(actor=market, campaign=campaign, case_id=case.pk, text="约谈店长")
    script = b"#!/bin/sh\nrm -rf /\n"
    assert error_code(lambda: services.add_entry(actor=market, campaign=campaign,
                                                 case_id=case.pk, text="照片",
                                                 upload=script)) == "EVIDENCE_INVALID"
    assert error_code(lambda: services.add_entry(actor=market, campaign=campaign,
                                                 case_id=case.pk, text="照片",
                                                 upload=png(9000, 8000))) == "EVIDENCE_INVALID"
    assert error_code(lambda: services.add_entry(
        actor=market, campaign=campaign, case_id=case.pk, text="照片",
        upload=b"\x89PNG" + b"0" * (11 * 1024 * 1024))) == "EVIDENCE_TOO_LARGE"
    assert error_code(lambda: services.add_entry(actor=market, campaign=campaign,
                                                 case_id=case.pk, text=" ")) == "TEXT_REQUIRED"
    statement = services.add_entry(actor=market, campaign=campaign, case_id=case.pk,
                                   text="店长笔录（扫描件）", upload=pdf())
    assert statement.content_type == "application/pdf"
    assert error_code(lambda: services.add_entry(actor=market, campaign=campaign,
                                                 case_id=case.pk, text="笔录",
                                                 upload=pdf(script=True))) == "EVIDENCE_INVALID"
    assert CaseEntry.objects.count() == 3
    assert AuditEntry.objects.filter(action="integrity.case_entry").count() == 3


def test_a_warning_is_recorded_and_a_case_is_decided_only_once(market, campaign, burst_signal,
                                                               shop):
    case = opened(market, campaign, burst_signal)
    decided = services.decide_case(actor=market, campaign=campaign, case_id=case.pk,
                                   decision=CaseDecision.WARNING, reason="首次发现，约谈警告")
    assert (decided.state, decided.decision, decided.decided_by) == ("decided", "warning", market)
    assert Merchant.objects.get(pk=shop.pk).state == MerchantState.APPROVED
    with pytest.raises(DomainError) as again:
        services.decide_case(actor=market, campaign=campaign, case_id=case.pk,
                             decision=CaseDecision.DISQUALIFICATION, reason="改判")
    assert again.value.code == "CASE_ALREADY_DECIDED" and again.value.status == 409
    assert "已于" in again.value.message and "「警告」" in again.value.message
    assert Merchant.objects.get(pk=shop.pk).state == MerchantState.APPROVED
    assert AuditEntry.objects.filter(action="integrity.case_decide").count() == 1
    # Notes may still be added (a later reply), the decision stays.
    services.add_entry(actor=market, campaign=campaign, case_id=case.pk, text="商户已整改")
    assert Case.objects.get(pk=case.pk).decision == "warning"


def test_disqualification_locks_the_till_and_freezes_unsettled_sales(market, campaign,
                                                                      burst_signal, shop,
                                                                      holder):
    case = opened(market, campaign, burst_signal)
    decided = services.decide_case(actor=market, campaign=campaign, case_id=case.pk,
                                   decision=CaseDecision.DISQUALIFICATION,
                                   reason="虚构交易套取补贴")
    merchant = Merchant.objects.get(pk=shop.pk)
    assert merchant.state == MerchantState.DISQUALIFIED
    assert f"监管案件 #{case.pk}" in merchant.state_reason
    assert decided.outcome["till"] == "locked"
    assert decided.outcome["frozen_sales"] == 5
    assert decided.outcome["frozen_subsidy_fen"] == 5 * 50_000
    assert sorted(decided.outcome["frozen_redemption_ids"]) == burst_signal.evidence["sale_ids"]
    assert decided.outcome["merchant_state_before"] == "approved"
    assert IntegrityCase.objects.get(merchant=merchant).reason.startswith(f"监管案件 #{case.pk}")
    # The till is locked at once: the next scan is refused.
    voucher = holder().voucher
    assert error_code(lambda: redeem_at(shop, voucher, [aircon()])) == "MERCHANT_SUSPENDED"


def test_suspension_locks_the_till_and_a_shop_already_stopped_cannot_be_suspended(
        market, campaign, burst_signal, shop, holder):
    first = opened(market, campaign, burst_signal)
    services.decide_case(actor=market, campaign=campaign, case_id=first.pk,
                         decision=CaseDecision.SUSPENSION, reason="待核查")
    assert Merchant.objects.get(pk=shop.pk).state == MerchantState.SUSPENDED
    voucher = holder().voucher
    assert error_code(lambda: redeem_at(shop, voucher, [aircon()])) == "MERCHANT_SUSPENDED"
    second = services.open_case(actor=market, campaign=campaign, merchant_id=shop.pk,
                                complaint="另一投诉")
    with pytest.raises(DomainError) as refused:
        services.decide_case(actor=market, campaign=campaign, case_id=second.pk,
                             decision=CaseDecision.SUSPENSION, reason="再次暂停")
    assert refused.value.code == "DECISION_NOT_POSSIBLE" and "只能暂停已通过的商户" in (
        refused.value.message)
    assert Case.objects.get(pk=second.pk).state == CaseState.OPEN  # nothing half-written


def test_referral_names_the_authority(market, campaign, burst_signal):
    case = opened(market, campaign, burst_signal)
    assert error_code(lambda: services.decide_case(
        actor=market, campaign=campaign, case_id=case.pk, decision=CaseDecision.REFERRAL,
        reason="涉嫌诈骗")) == "TEXT_REQUIRED"
    decided = services.decide_case(actor=market, campaign=campaign, case_id=case.pk,
                                   decision=CaseDecision.REFERRAL, reason="涉嫌诈骗",
                                   referred_to="隰县公安局")
    assert (decided.referred_to, decided.outcome["referred_to"]) == ("隰县公安局", "隰县公安局")


def test_bad_decisions_forged_ids_and_other_roles_are_refused(market, campaign, burst_signal,
                                                              reviewer, auditor, bureau):
    case = opened(market, campaign, burst_signal)
    assert error_code(lambda: services.decide_case(
        actor=market, campaign=campaign, case_id=case.pk, decision="pardon", reason="x")
    ) == "DECISION_INVALID"
    assert error_code(lambda: services.decide_case(
        actor=market, campaign=campaign, case_id=case.pk, decision="warning", reason="")
    ) == "TEXT_REQUIRED"
    assert error_code(lambda: services.decide_case(
        actor=market, campaign=campaign, case_id=case.pk + 1000, decision="warning",
        reason="x")) == "CASE_NOT_FOUND"
    for other in (reviewer, auditor, bureau):
        with pytest.raises(PermissionRefused):
            services.decide_case(actor=other, campaign=campaign, case_id=case.pk,
                                 decision="warning", reason="x")
        with pytest.raises(PermissionRefused):
            services.open_case(actor=other, campaign=campaign, signal_id=burst_signal.pk)
        with pytest.raises(PermissionRefused):
            services.add_entry(actor=other, campaign=campaign, case_id=case.pk, text="x")
    assert Case.objects.get(pk=case.pk).state == CaseState.OPEN
