"""Each integrity signal fires on data made to show it, and stays quiet on ordinary data
(R-INT-1..2, issue 14 item 6); a scan run again changes nothing."""

from __future__ import annotations

import pytest

from huiquan.audit.models import AuditEntry
from huiquan.consumers.models import Consumer
from huiquan.integrity import detectors
from huiquan.integrity.models import Severity, Signal, SignalKind
from huiquan.integrity.services import scan
from tests.integrity.conftest import return_after, settle

pytestmark = pytest.mark.django_db

A, B, C = "a" * 64, "b" * 64, "c" * 64


def kinds() -> list[tuple[str, int]]:
    return sorted(Signal.objects.values_list("kind", "merchant_id"))


def signal(kind: str, merchant) -> Signal:  # type: ignore[no-untyped-def]
    return Signal.objects.get(kind=kind, merchant=merchant)


@pytest.fixture
def shops(make_merchant, catalog):  # type: ignore[no-untyped-def]
    return [make_merchant() for _ in range(4)]


def test_ordinary_sales_raise_no_signal(campaign, shops, sell, submit):
    """Different people, prices away from the cap, in opening hours, minutes apart, each with
    its own photos: nothing to report."""
    prices = [500_000, 520_000, 480_000, 490_000, 510_000, 470_000]
    for n, price in enumerate(prices):
        sale = sell(shops[n % 3], price, at=f"2024-06-21T{11 + n}:15:00+08:00")
        submit(sale, phone=f"1370000{n:04d}",
               docs=[("invoice", f"{n:064x}", f"{(n * 0x0F0F0F0F0F0F0F0F) & (2**64 - 1):016x}")])
    report = scan(campaign=campaign)
    assert (report.created, report.failed) == (0, [])
    assert Signal.objects.count() == 0


def test_one_person_behind_sales_at_two_shops_is_a_signal_at_each(campaign, shops, sell):
    first = sell(shops[0], at="2024-06-21T11:00:00+08:00")
    second = sell(shops[1], at="2024-06-21T12:00:00+08:00")
    # The second account turned out to be the same resident (held as a duplicate: the canonical
    # hash kept aside, consumers migration 0003).
    person = Consumer.objects.get(pk=first.consumer_id)
    Consumer.objects.filter(pk=second.consumer_id).update(id_hash=None,
                                                           id_duplicate_hash=person.id_hash)
    scan(campaign=campaign)
    assert kinds() == [(SignalKind.SAME_PERSON, shops[0].pk), (SignalKind.SAME_PERSON, shops[1].pk)]
    found = signal(SignalKind.SAME_PERSON, shops[0])
    assert found.evidence["sale_ids"] == sorted([first.pk, second.pk])
    assert found.evidence["numbers"]["merchants"] == [shops[0].pk, shops[1].pk]
    assert person.id_masked in found.summary  # shown masked, never the number (invariant 7)
    assert "id_cipher" not in str(found.evidence)


def test_one_phone_typed_on_documents_of_several_shops(campaign, shops, sell, submit):
    for n, shop in enumerate(shops[:3]):
        submit(sell(shop, at=f"2024-06-21T1{n + 1}:00:00+08:00"), phone="13912345678")
    submit(sell(shops[3], at="2024-06-21T15:00:00+08:00"), phone="13900000001")
    scan(campaign=campaign)
    assert kinds() == [(SignalKind.SAME_PERSON, s.pk) for s in shops[:3]]
    found = signal(SignalKind.SAME_PERSON, shops[2])
    assert "139****5678" in found.summary and "13912345678" not in str(found.evidence)
    assert len(found.evidence["rows"]) == 3
    assert [row[2] for row in found.evidence["rows"]] == [s.legal_name for s in shops[:3]]


def test_many_prices_just_under_the_cap_boundary_at_one_shop(campaign, shops, sell):
    # 10 % up to 2,000 yuan: the cap starts at 20,000 yuan; the band is 19,000–19,999.99.
    assert detectors.cap_boundary_fen(campaign) == 2_000_000
    for n, price in enumerate([1_998_000, 1_990_000, 1_950_000, 600_000]):
        sell(shops[0], price, at=f"2024-06-21T1{n + 1}:00:00+08:00")
    sell(shops[1], 1_999_000, at="2024-06-21T16:00:00+08:00")  # one is not "many"
    sell(shops[1], 2_000_000, at="2024-06-21T17:00:00+08:00")  # at the boundary: not under it
    scan(campaign=campaign)
    assert kinds() == [(SignalKind.PRICE_THRESHOLD, shops[0].pk)]
    found = signal(SignalKind.PRICE_THRESHOLD, shops[0])
    assert found.evidence["numbers"] | {} == {"boundary_fen": 2_000_000, "low_fen": 1_900_000,
                                              "in_band": 3, "total": 4}
    assert len(found.evidence["sale_ids"]) == 3


def test_the_same_photo_in_two_submissions(campaign, shops, sell, submit):
    submit(sell(shops[0], at="2024-06-21T11:00:00+08:00"),
           docs=[("goods_photo", A, "ffff0000ffff0000")])
    submit(sell(shops[1], at="2024-06-21T12:00:00+08:00"),
           docs=[("goods_photo", A, "ffff0000ffff0000")])
    # Near-identical (2 bits of 64 differ) at one shop; far apart (32 bits) is not.
    submit(sell(shops[2], at="2024-06-21T13:00:00+08:00"),
           docs=[("goods_photo", B, "0123456789abcdef")])
    submit(sell(shops[2], at="2024-06-21T14:00:00+08:00"),
           docs=[("goods_photo", C, "0123456789abcdec")])
    submit(sell(shops[3], at="2024-06-21T15:00:00+08:00"),
           docs=[("goods_photo", "d" * 64, "0000000000000000"),
                 ("invoice", "e" * 64, "ffffffff00000000")])
    scan(campaign=campaign)
    assert kinds() == [(SignalKind.PHOTO_REUSE, shops[0].pk), (SignalKind.PHOTO_REUSE, shops[1].pk),
                       (SignalKind.PHOTO_REUSE, shops[2].pk)]
    across = signal(SignalKind.PHOTO_REUSE, shops[0])
    assert across.severity == Severity.HIGH and across.evidence["numbers"]["match"] == "sha"
    near = signal(SignalKind.PHOTO_REUSE, shops[2])
    assert near.severity == Severity.MEDIUM and near.evidence["numbers"]["match"] == "phash"
    assert len(near.evidence["document_ids"]) == 2


def test_no_documents_yet_means_no_photo_signal(campaign, shops, sell):
    sell(shops[0], at="2024-06-21T11:00:00+08:00")
    assert detectors.photo_reuse(campaign) == []


def test_sales_outside_opening_hours(campaign, shops, sell):
    sell(shops[0], at="2024-06-21T21:59:00+08:00")  # inside
    sell(shops[0], at="2024-06-21T22:00:00+08:00")
    sell(shops[0], at="2024-06-22T06:59:00+08:00")
    sell(shops[1], at="2024-06-22T23:30:00+08:00")  # one late sale alone is not a pattern
    scan(campaign=campaign)
    assert kinds() == [(SignalKind.OFF_HOURS, shops[0].pk)]
    assert signal(SignalKind.OFF_HOURS, shops[0]).evidence["numbers"]["count"] == 2


def test_a_burst_of_sales_within_minutes(campaign, shops, sell):
    for minute in (0, 1, 3, 5, 8, 9):  # six sales in nine minutes
        sell(shops[0], at=f"2024-06-21T11:{minute:02d}:00+08:00")
    for minute in (0, 3, 6, 9, 12):  # five sales in twelve minutes: an ordinary busy hour
        sell(shops[1], at=f"2024-06-21T12:{minute:02d}:00+08:00")
    scan(campaign=campaign)
    assert kinds() == [(SignalKind.BURST, shops[0].pk)]
    assert signal(SignalKind.BURST, shops[0]).evidence["numbers"]["count"] == 6


def test_a_return_soon_after_settlement(campaign, shops, sell, reviewer, clock):
    quick, late, _unsettled = (sell(shops[n], at=f"2024-06-21T1{n + 1}:00:00+08:00") for n in range(3))
    settled = clock.set("2024-07-05T10:00:00+08:00")
    for sale in (quick, late):
        settle(sale, settled)
    return_after(quick, days=2, actor=shops[0].till_user)
    return_after(late, days=20, actor=shops[1].till_user)
    scan(campaign=campaign)
    assert kinds() == [(SignalKind.RETURN_AFTER_SETTLEMENT, shops[0].pk)]
    assert signal(SignalKind.RETURN_AFTER_SETTLEMENT, shops[0]).evidence["sale_ids"] == [quick.pk]


def test_price_raised_above_the_shops_own_earlier_price(campaign, shops, sell):
    sell(shops[0], 500_000, at="2024-06-21T11:00:00+08:00")
    sell(shops[0], 520_000, at="2024-06-21T12:00:00+08:00")  # +4 %: ordinary
    sell(shops[0], 600_000, discount_fen=20_000, at="2024-06-21T13:00:00+08:00")  # +16 %
    scan(campaign=campaign)
    assert kinds() == [(SignalKind.PRICE_INFLATION, shops[0].pk)]
    found = signal(SignalKind.PRICE_INFLATION, shops[0])
    assert found.dedup_key.startswith("price_inflation:own:")
    assert found.evidence["numbers"]["rise_percent"] == 16


def test_price_well_above_other_shops_median(campaign, shops, sell):
    for n, shop in enumerate(shops[1:]):
        sell(shop, 400_000 + n * 10_000, at=f"2024-06-21T1{n + 1}:00:00+08:00")
    sell(shops[0], 600_000, at="2024-06-21T15:00:00+08:00")  # 50 % above the median 4,100
    scan(campaign=campaign)
    assert kinds() == [(SignalKind.PRICE_INFLATION, shops[0].pk)]
    found = signal(SignalKind.PRICE_INFLATION, shops[0])
    assert found.dedup_key.startswith("price_inflation:market:")
    assert found.evidence["numbers"]["median_fen"] == 410_000


def test_scanning_again_adds_nothing_and_writes_no_audit_entry(campaign, shops, sell):
    for minute in range(5):
        sell(shops[0], at=f"2024-06-21T11:0{minute}:00+08:00")
    first = scan(campaign=campaign)
    entries = AuditEntry.objects.count()
    again = scan(campaign=campaign)
    assert (first.created, again.created, again.updated, again.unchanged) == (1, 0, 0, 1)
    assert Signal.objects.count() == 1 and AuditEntry.objects.count() == entries
    before = Signal.objects.get()
    sell(shops[0], at="2024-06-21T11:06:00+08:00")  # the burst grows: the same signal, updated
    third = scan(campaign=campaign)
    after = Signal.objects.get()
    assert (third.created, third.updated) == (0, 1)
    assert (after.pk, after.first_seen_at) == (before.pk, before.first_seen_at)
    assert after.evidence["numbers"]["count"] == 6


def test_a_failing_detector_does_not_stop_the_others(campaign, shops, sell, monkeypatch):
    for minute in range(5):
        sell(shops[0], at=f"2024-06-21T11:0{minute}:00+08:00")

    def broken(campaign):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setitem(detectors.DETECTORS, "photo_reuse", broken)
    report = scan(campaign=campaign)
    assert report.failed == ["photo_reuse 失败：boom"] and report.created == 1


def test_the_scan_costs_the_same_number_of_queries_for_more_sales(campaign, shops, sell):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            scan(campaign=campaign)
        return len(queries)

    for minute in range(5):
        sell(shops[0], 1_990_000 - minute, at=f"2024-06-21T11:0{minute}:00+08:00")
    scan(campaign=campaign)  # the signals are stored once; then measure a steady scan
    small = cost()
    for minute in range(6):
        sell(shops[1], 1_990_000 - minute, at=f"2024-06-21T12:0{minute}:00+08:00")
        sell(shops[2], 1_990_000 - minute, at=f"2024-06-21T13:0{minute}:00+08:00")
    scan(campaign=campaign)
    assert cost() == small
