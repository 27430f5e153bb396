"""The integrity signals: each detector reads through the owners' selectors (a few aggregate
statements) and returns findings with their evidence (R-INT-1..2, issue 14 item 6).

The thresholds are here, named, and written down in docs/decisions.md ("Integrity signals").
Evidence is stored as data a page can show without knowing the kind: a rule sentence, facts
(label, text), a table (columns, rows), and the ids of the sales and documents it names.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from huiquan.consumers.selectors import mask_phone
from huiquan.core.clock import SHANGHAI
from huiquan.core.money import format_yuan
from huiquan.integrity.models import Severity, SignalKind
from huiquan.redemptions import integrity_reads as sales
from huiquan.verification import integrity_reads as documents
from huiquan.verification.models import DocumentKind

SAME_PERSON_MIN_MERCHANTS = 2  # one person may redeem once per campaign (R-USE-3): 2 shops is already odd
BAND_PERCENT = 5  # "just under": within 5 % below the price where the cap starts
BAND_MIN_SALES = 3
BAND_MIN_SHARE_PERCENT = 30  # and at least this share of the shop's sales
OPENS_HOUR, CLOSES_HOUR = 7, 22  # no shop records opening hours: 07:00–22:00 Beijing time
OFF_HOURS_MIN_SALES = 2
BURST_SALES, BURST_MINUTES = 5, 10  # five sales within ten minutes at one shop
RETURN_WITHIN = timedelta(days=7)  # a return within 7 days of the sale being paid out
OWN_RISE_PERCENT = 10  # sold at least 10 % above the shop's own earlier price for the barcode
MARKET_ABOVE_PERCENT = 30  # or at least 30 % above the other shops' median for it
MARKET_MIN_SALES = 3  # the other shops' median needs at least this many sales
PHASH_MAX_DISTANCE = 4  # bits of 64: "near-identical" photos
EVIDENCE_ROWS = sales.EVIDENCE_ROWS


@dataclass
class Finding:
    kind: str
    merchant_id: int
    key: str  # dedup key: kind, shop and what it is about
    severity: str
    score: int
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _when(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else "—"


def _yuan(fen: int) -> str:
    return f"{format_yuan(fen)} 元"


SHOP_CELL = re.compile(r"^商户 #(\d+)$")


def _shop(merchant_id: int) -> str:
    """A shop in an evidence table; ``with_shop_names`` puts its name there before storing."""
    return f"商户 #{merchant_id}"


def with_shop_names(findings: list[Finding], names: dict[int, str]) -> list[Finding]:
    """Name the shops in the evidence tables (one read of the names for the whole scan)."""
    for finding in findings:
        for row in finding.evidence.get("rows", []):
            for i, cell in enumerate(row):
                match = SHOP_CELL.match(cell)
                if match and int(match.group(1)) in names:
                    row[i] = names[int(match.group(1))]
    return findings


def _severity(count: int, medium: int, high: int) -> tuple[str, int]:
    """Severity and a 0–100 score from how far a count is past its thresholds."""
    if count >= high:
        return Severity.HIGH, min(100, 70 + count)
    if count >= medium:
        return Severity.MEDIUM, min(69, 40 + count)
    return Severity.LOW, min(39, 10 + count)


def _evidence(rule: str, facts: list[tuple[str, str]], columns: list[str],
              rows: list[list[str]], *, sale_ids: Iterable[int] = (),
              document_ids: Iterable[int] = (), **numbers: Any) -> dict[str, Any]:
    return {"rule": rule, "facts": [list(f) for f in facts], "columns": columns,
            "rows": rows[:EVIDENCE_ROWS], "more_rows": max(0, len(rows) - EVIDENCE_ROWS),
            "sale_ids": sorted(set(sale_ids))[:EVIDENCE_ROWS],
            "document_ids": sorted(set(document_ids))[:EVIDENCE_ROWS], "numbers": numbers}


def _sale_row(s: sales.Sale) -> list[str]:
    return [f"#{s.id}", _when(s.created_at), _shop(s.merchant_id),
            _yuan(s.eligible_final_fen), _yuan(s.subsidy_fen)]


SALE_COLUMNS = ["核销", "时间", "商户", "补贴商品成交价", "补贴"]


def same_person(campaign: Any) -> list[Finding]:
    """(a) One resident ID (whatever account) or one phone typed on the documents behind sales
    at several shops: one finding per shop involved, each naming all the shops' sales."""
    found: list[Finding] = []
    by_person: dict[str, list[sales.PersonSale]] = defaultdict(list)
    for row in sales.one_person_many_merchants(campaign.pk,
                                               min_merchants=SAME_PERSON_MIN_MERCHANTS):
        by_person[row.person].append(row)
    for person, rows in by_person.items():
        shops = sorted({r.sale.merchant_id for r in rows})
        severity, score = _severity(len(shops), 2, 3)
        masked = rows[0].id_masked or "（未显示）"
        for shop in shops:
            found.append(Finding(
                SignalKind.SAME_PERSON, shop, f"same_person:id:{person[:24]}:{shop}", severity,
                score, f"同一身份证（{masked}）在 {len(shops)} 家商户核销 {len(rows)} 笔",
                _evidence(f"同一身份证号（按密钥哈希比对，不论哪个账号）在 {SAME_PERSON_MIN_MERCHANTS} "
                          "家或更多商户有核销记录；每人每次活动只能用券一次（R-USE-3）",
                          [("身份证号", masked), ("身份哈希", f"{person[:12]}…"),
                           ("商户数", str(len(shops))), ("核销笔数", str(len(rows)))],
                          SALE_COLUMNS, [_sale_row(r.sale) for r in rows],
                          sale_ids=[r.sale.id for r in rows], merchants=shops,
                          person_hash=person[:24])))
    by_phone: dict[str, list[documents.TypedPhone]] = defaultdict(list)
    for typed in documents.phones_on_many_merchants(campaign.pk,
                                                     min_merchants=SAME_PERSON_MIN_MERCHANTS):
        by_phone[typed.phone].append(typed)
    for phone, typed_rows in by_phone.items():
        shops = sorted({t.merchant_id for t in typed_rows})
        severity, score = _severity(len(typed_rows), 3, 5)
        masked = mask_phone(phone)
        for shop in shops:
            found.append(Finding(
                SignalKind.SAME_PERSON, shop, f"same_person:phone:{phone}:{shop}", severity,
                score, f"同一手机号（{masked}）出现在 {len(shops)} 家商户的 {len(typed_rows)} 份报备资料上",
                _evidence("报备资料上填写的消费者手机号在多家商户的核销中重复出现",
                          [("手机号", masked), ("商户数", str(len(shops))),
                           ("报备份数", str(len(typed_rows)))],
                          ["报备", "核销", "商户", "提交时间"],
                          [[f"#{t.submission_id}", f"#{t.redemption_id}", _shop(t.merchant_id),
                            _when(t.submitted_at)] for t in typed_rows],
                          sale_ids=[t.redemption_id for t in typed_rows], merchants=shops,
                          phone_masked=masked)))
    return found


def cap_boundary_fen(campaign: Any) -> int:
    """The eligible price at which the subsidy reaches its cap, from the campaign's own rule
    (R-USE-2: min(price × rate, cap)): 2,000 yuan at 10 % → 20,000 yuan."""
    return int(campaign.subsidy_cap_fen * 100 // max(1, campaign.subsidy_rate_percent))


def price_threshold(campaign: Any) -> list[Finding]:
    """(b) Many of one shop's sales priced just under the cap's boundary."""
    high = cap_boundary_fen(campaign)
    low = high - high * BAND_PERCENT // 100
    flagged = [c for c in sales.price_band_counts(campaign.pk, low_fen=low, high_fen=high)
               if c.in_band >= BAND_MIN_SALES
               and c.in_band * 100 >= BAND_MIN_SHARE_PERCENT * c.total]
    if not flagged:
        return []
    rows_by_shop: dict[int, list[sales.Sale]] = defaultdict(list)
    for sale in sales.sales_in_band(campaign.pk, [c.merchant_id for c in flagged],
                                    low_fen=low, high_fen=high):
        rows_by_shop[sale.merchant_id].append(sale)
    found = []
    for c in flagged:
        share = c.in_band * 100 // c.total
        severity, score = _severity(c.in_band, 5, 10)
        found.append(Finding(
            SignalKind.PRICE_THRESHOLD, c.merchant_id,
            f"price_threshold:{campaign.pk}:{high}:{c.merchant_id}", severity, score,
            f"{c.in_band} 笔（占 {share}%）成交价在 {_yuan(low)}–{_yuan(high)} 之间，紧贴补贴封顶线",
            _evidence(f"补贴 = 成交价 × {campaign.subsidy_rate_percent}%，封顶 "
                      f"{_yuan(campaign.subsidy_cap_fen)}：成交价 {_yuan(high)} 起补贴封顶。"
                      f"一家商户 {BAND_MIN_SALES} 笔以上、且占其核销 {BAND_MIN_SHARE_PERCENT}% 以上的"
                      f"成交价落在封顶线下方 {BAND_PERCENT}% 以内",
                      [("封顶线", _yuan(high)), ("区间", f"{_yuan(low)} – {_yuan(high)}（不含）"),
                       ("区间内笔数", str(c.in_band)), ("商户核销总笔数", str(c.total)),
                       ("占比", f"{share}%")],
                      SALE_COLUMNS, [_sale_row(s) for s in rows_by_shop[c.merchant_id]],
                      sale_ids=[s.id for s in rows_by_shop[c.merchant_id]], boundary_fen=high,
                      low_fen=low, in_band=c.in_band, total=c.total)))
    return found


def _phash_groups(rows: list[documents.DocumentHash]) -> list[list[documents.DocumentHash]]:
    """Documents whose perceptual hashes differ by at most PHASH_MAX_DISTANCE bits, grouped
    (union-find). Candidates come from splitting each 64-bit hash into PHASH_MAX_DISTANCE + 1
    bands: two hashes that close agree on at least one band (pigeonhole), so only hashes sharing
    a band are compared — no all-pairs loop."""
    hashed = []
    for doc in rows:
        try:
            hashed.append((doc, int(doc.phash, 16)))
        except ValueError:
            continue
    parent = list(range(len(hashed)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    bands = PHASH_MAX_DISTANCE + 1
    width = 64 // bands
    for band in range(bands):
        buckets: dict[int, list[int]] = defaultdict(list)
        for index, (_, value) in enumerate(hashed):
            buckets[(value >> (band * width)) & ((1 << width) - 1)].append(index)
        for members in buckets.values():
            for a_pos, a in enumerate(members):
                for b in members[a_pos + 1:]:
                    if bin(hashed[a][1] ^ hashed[b][1]).count("1") <= PHASH_MAX_DISTANCE:
                        parent[root(a)] = root(b)
    groups: dict[int, list[documents.DocumentHash]] = defaultdict(list)
    for index, (doc, _) in enumerate(hashed):
        groups[root(index)].append(doc)
    return list(groups.values())


def _document_kind(kind: str) -> str:
    return DocumentKind(kind).label if kind in DocumentKind.values else kind


def photo_reuse(campaign: Any) -> list[Finding]:
    """(c) The same file (sha256) or a near-identical photo (perceptual hash) in the documents
    of more than one submission."""
    rows = documents.document_hashes(campaign.pk)
    by_sha: dict[str, list[documents.DocumentHash]] = defaultdict(list)
    for doc in rows:
        by_sha[doc.sha256].append(doc)
    groups = [("sha", g) for g in by_sha.values()]
    groups += [("phash", g) for g in _phash_groups([d for d in rows if d.phash])]
    found: list[Finding] = []
    seen: set[frozenset[int]] = set()
    for how, group in groups:
        if len({d.submission_id for d in group}) < 2:
            continue
        ids = frozenset(d.id for d in group)
        if how == "phash" and ids in seen:
            continue  # the same files as an identical-file group: said once
        seen.add(ids)
        first = min(d.id for d in group)
        shops = sorted({d.merchant_id for d in group})
        severity = Severity.HIGH if len(shops) > 1 else Severity.MEDIUM
        score = min(100, 50 + 10 * len({d.submission_id for d in group}) + 20 * (len(shops) - 1))
        what = "同一文件" if how == "sha" else "近似照片（感知哈希）"
        for shop in shops:
            found.append(Finding(
                SignalKind.PHOTO_REUSE, shop, f"photo_reuse:{how}:{first}:{shop}", severity, score,
                f"{what}用于 {len({d.submission_id for d in group})} 份报备（{len(shops)} 家商户）",
                _evidence("同一份文件（SHA-256 相同）或几乎相同的照片（感知哈希相差不超过 "
                          f"{PHASH_MAX_DISTANCE} 位）出现在不同核销的报备资料中",
                          [("比对方式", what), ("报备份数", str(len({d.submission_id for d in group}))),
                           ("商户数", str(len(shops)))],
                          ["文件", "类型", "报备", "核销", "商户", "上传时间", "哈希"],
                          [[f"#{d.id}", _document_kind(d.kind), f"#{d.submission_id}", f"#{d.redemption_id}",
                            _shop(d.merchant_id), _when(d.uploaded_at),
                            (d.sha256 if how == "sha" else d.phash)[:16]] for d in group],
                          sale_ids=[d.redemption_id for d in group],
                          document_ids=[d.id for d in group], merchants=shops, match=how)))
    return found


def off_hours(campaign: Any) -> list[Finding]:
    """(d) Sales outside 07:00–22:00 Beijing time (no shop records its own opening hours)."""
    by_shop: dict[int, list[sales.Sale]] = defaultdict(list)
    for sale in sales.sales_outside_hours(campaign.pk, opens_hour=OPENS_HOUR,
                                          closes_hour=CLOSES_HOUR):
        by_shop[sale.merchant_id].append(sale)
    found = []
    for shop, rows in by_shop.items():
        if len(rows) < OFF_HOURS_MIN_SALES:
            continue
        severity, score = _severity(len(rows), 5, 10)
        found.append(Finding(
            SignalKind.OFF_HOURS, shop, f"off_hours:{campaign.pk}:{shop}", severity, score,
            f"{len(rows)} 笔核销发生在营业时间（{OPENS_HOUR:02d}:00–{CLOSES_HOUR:02d}:00）以外",
            _evidence(f"商户未登记营业时间，按 {OPENS_HOUR:02d}:00–{CLOSES_HOUR:02d}:00（北京时间）"
                      f"判断；{OFF_HOURS_MIN_SALES} 笔或以上在此之外的核销",
                      [("营业时间", f"{OPENS_HOUR:02d}:00–{CLOSES_HOUR:02d}:00"),
                       ("时间外笔数", str(len(rows)))],
                      SALE_COLUMNS, [_sale_row(s) for s in rows], sale_ids=[s.id for s in rows],
                      count=len(rows))))
    return found


def bursts(campaign: Any) -> list[Finding]:
    """(d) Bursts: BURST_SALES or more sales of one shop within BURST_MINUTES; overlapping
    windows are one episode, named by its first sale (so a re-scan finds the same key)."""
    window = timedelta(minutes=BURST_MINUTES)
    episodes: list[tuple[int, list[tuple[int, datetime]]]] = []
    by_shop: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for sale_id, shop, at in sales.sale_times(campaign.pk):
        by_shop[shop].append((sale_id, at))
    for shop, times in by_shop.items():
        current: list[tuple[int, datetime]] = []
        for i in range(len(times) - BURST_SALES + 1):
            if times[i + BURST_SALES - 1][1] - times[i][1] > window:
                continue
            members = times[i:i + BURST_SALES]
            if current and members[0][1] <= current[-1][1]:
                current += [m for m in members if m not in current]
            else:
                if current:
                    episodes.append((shop, current))
                current = list(members)
        if current:
            episodes.append((shop, current))
    found = []
    rows = sales.sales_of(m[0] for _, members in episodes for m in members) if episodes else {}
    for shop, members in episodes:
        span = (members[-1][1] - members[0][1]).total_seconds() / 60
        severity, score = _severity(len(members), 8, 15)
        found.append(Finding(
            SignalKind.BURST, shop, f"burst:{shop}:{members[0][0]}", severity, score,
            f"{_when(members[0][1])} 起 {span:.0f} 分钟内核销 {len(members)} 笔",
            _evidence(f"同一商户 {BURST_MINUTES} 分钟内核销 {BURST_SALES} 笔或更多（连续的窗口合并为一次）",
                      [("开始", _when(members[0][1])), ("结束", _when(members[-1][1])),
                       ("笔数", str(len(members))), ("持续", f"{span:.0f} 分钟")],
                      SALE_COLUMNS, [_sale_row(rows[m[0]]) for m in members if m[0] in rows],
                      sale_ids=[m[0] for m in members], count=len(members))))
    return found


def returns_after_settlement(campaign: Any) -> list[Finding]:
    """(e) Goods returned soon after the sale was settled (the subsidy already paid out)."""
    by_shop: dict[int, list[sales.LateReturn]] = defaultdict(list)
    for late in sales.returns_soon_after_settlement(campaign.pk, within=RETURN_WITHIN):
        by_shop[late.merchant_id].append(late)
    found = []
    for shop, rows in by_shop.items():
        severity, score = _severity(len(rows), 2, 5)
        found.append(Finding(
            SignalKind.RETURN_AFTER_SETTLEMENT, shop, f"return_after_settlement:{campaign.pk}:{shop}",
            severity, score,
            f"{len(rows)} 笔核销在结算后 {RETURN_WITHIN.days} 天内退货",
            _evidence(f"补贴已结算给商户后 {RETURN_WITHIN.days} 天内发生的退货（可能是虚假交易套取补贴）",
                      [("退货笔数", str(len(rows))),
                       ("退货商品成交价合计", _yuan(sum(r.returned_final_fen for r in rows)))],
                      ["退货", "核销", "核销时间", "结算时间", "退货时间", "退货金额"],
                      [[f"#{r.return_id}", f"#{r.redemption_id}", _when(r.sold_at),
                        _when(r.settled_at), _when(r.returned_at), _yuan(r.returned_final_fen)]
                       for r in rows],
                      sale_ids=[r.redemption_id for r in rows], count=len(rows))))
    return found


def _price_row(s: sales.GtinSale) -> list[str]:
    return [f"#{s.redemption_id}", _when(s.sold_at), _shop(s.merchant_id),
            _yuan(s.unit_price_fen), _yuan(s.unit_final_fen)]


PRICE_COLUMNS = ["核销", "时间", "商户", "标价（单价）", "成交价（单价）"]


def price_inflation(campaign: Any) -> list[Finding]:
    """(f) 先涨价后打折: a barcode sold at a shop above that shop's own earlier price by
    OWN_RISE_PERCENT, or above the other shops' median for it by MARKET_ABOVE_PERCENT."""
    by_gtin: dict[str, list[sales.GtinSale]] = defaultdict(list)
    for line in sales.gtin_sales(campaign.pk):
        by_gtin[line.gtin].append(line)
    found = []
    for gtin, lines in by_gtin.items():
        by_shop: dict[int, list[sales.GtinSale]] = defaultdict(list)
        for line in lines:
            by_shop[line.merchant_id].append(line)
        for shop, own in by_shop.items():
            found += _own_rise(gtin, shop, own)
            others = [line.unit_final_fen for line in lines if line.merchant_id != shop]
            if len(others) >= MARKET_MIN_SALES:
                found += _above_market(gtin, shop, own, others)
    return found


def _own_rise(gtin: str, shop: int, own: list[sales.GtinSale]) -> list[Finding]:
    cheapest: sales.GtinSale | None = None
    risen: list[tuple[sales.GtinSale, sales.GtinSale]] = []
    for line in own:  # in time order
        if cheapest is not None and (line.unit_final_fen * 100
                                     >= cheapest.unit_final_fen * (100 + OWN_RISE_PERCENT)):
            risen.append((line, cheapest))
        if cheapest is None or line.unit_final_fen < cheapest.unit_final_fen:
            cheapest = line
    if not risen:
        return []
    worst = max(risen, key=lambda pair: pair[0].unit_final_fen * 100 // pair[1].unit_final_fen)
    rise = worst[0].unit_final_fen * 100 // worst[1].unit_final_fen - 100
    severity, score = _severity(rise, 20, 40)
    return [Finding(
        SignalKind.PRICE_INFLATION, shop, f"price_inflation:own:{gtin}:{shop}", severity, score,
        f"商品 {gtin} 成交价比本店此前最低价高 {rise}%",
        _evidence(f"同一商品条码在本店的成交单价比本店更早的最低成交价高 {OWN_RISE_PERCENT}% 或以上"
                  "（先涨价后打折，抬高补贴基数）",
                  [("商品条码", gtin), ("商品", own[0].description),
                   ("此前最低成交价", _yuan(worst[1].unit_final_fen)),
                   ("最高涨幅", f"{rise}%"), ("涨价后笔数", str(len(risen)))],
                  PRICE_COLUMNS, [_price_row(s) for s in own],
                  sale_ids=[s.redemption_id for s in own], gtin=gtin, rise_percent=rise))]


def _above_market(gtin: str, shop: int, own: list[sales.GtinSale],
                  others: list[int]) -> list[Finding]:
    median = int(statistics.median(others))
    above = [s for s in own if s.unit_final_fen * 100 >= median * (100 + MARKET_ABOVE_PERCENT)]
    if not above or median <= 0:
        return []
    worst = max(s.unit_final_fen for s in above) * 100 // median - 100
    severity, score = _severity(worst, 50, 100)
    return [Finding(
        SignalKind.PRICE_INFLATION, shop, f"price_inflation:market:{gtin}:{shop}", severity, score,
        f"商品 {gtin} 成交价高出其他商户中位数 {worst}%",
        _evidence(f"同一商品条码的成交单价比其他商户的中位数高 {MARKET_ABOVE_PERCENT}% 或以上"
                  f"（其他商户至少 {MARKET_MIN_SALES} 笔）",
                  [("商品条码", gtin), ("商品", own[0].description),
                   ("其他商户中位数", _yuan(median)), ("其他商户笔数", str(len(others))),
                   ("最高高出", f"{worst}%"), ("偏高笔数", str(len(above)))],
                  PRICE_COLUMNS, [_price_row(s) for s in above],
                  sale_ids=[s.redemption_id for s in above], gtin=gtin, median_fen=median,
                  above_percent=worst))]


DETECTORS: dict[str, Callable[[Any], list[Finding]]] = {
    "same_person": same_person,
    "price_threshold": price_threshold,
    "photo_reuse": photo_reuse,
    "off_hours": off_hours,
    "bursts": bursts,
    "returns_after_settlement": returns_after_settlement,
    "price_inflation": price_inflation,
}
