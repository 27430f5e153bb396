"""Reading and verifying the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet

from huiquan.audit.models import AuditEntry, AuditHead
from huiquan.audit.seals import check_seal, is_exact, is_seal
from huiquan.audit.services import GENESIS, compute_hash, read_checkpoints
from huiquan.core import clock


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None
    problem: str
    seals: int = 0  # seals recomputed from their rows
    old_seals: int = 0  # seals from before issue 12: they do not list their rows

    def __str__(self) -> str:
        if self.ok:
            text = (f"审计链完整：{self.checked} 条记录，哈希链与检查点一致；"
                    f"{self.seals} 批领券/核销封存已按原始记录重新计算，全部一致")
            if self.old_seals:
                text += f"（另有 {self.old_seals} 批旧格式封存未记录行号，无法逐行复核）"
            return text
        where = f"第 {self.first_bad_seq} 条" if self.first_bad_seq is not None else "链尾"
        return f"审计链被篡改：{where} — {self.problem}"


def verify_chain(*, batch: int = 2000) -> VerifyResult:
    """Walk the chain in order; name the first edited, deleted, inserted or reordered entry.
    Every seal of claims and redemptions is recomputed from the rows it covers; an edited,
    deleted or re-sealed row is named (issue 12)."""
    prev_hash = GENESIS
    seals = old_seals = 0
    sealed_rows: set[tuple[str, int]] = set()
    expected_seq = 1
    checked = 0
    hashes: dict[int, str] = {}
    last_pk_seq = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last_pk_seq).order_by("seq")[:batch])
        if not rows:
            break
        for e in rows:
            if e.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq,
                                    f"缺少序号 {expected_seq}（被删除），下一条是 {e.seq}")
            if e.prev_hash != prev_hash:
                return VerifyResult(False, checked, e.seq, "前一条哈希不符（被删除、插入或调换顺序）")
            recomputed = compute_hash(
                prev_hash=e.prev_hash, seq=e.seq, at=e.at, actor_id=e.actor_id,
                actor_name=e.actor_name, role=e.role, action=e.action,
                object_type=e.object_type, object_id=e.object_id, summary=e.summary,
                before=e.before, after=e.after,
            )
            if recomputed != e.entry_hash:
                return VerifyResult(False, checked, e.seq, "内容与哈希不符（记录被修改）")
            if is_seal(e.after) and e.action.endswith(".seal"):
                if not is_exact(e.after):
                    old_seals += 1
                elif (wrong := check_seal(e.after, sealed_rows)) is not None:
                    return VerifyResult(False, checked, e.seq, wrong)
                else:
                    seals += 1
            hashes[e.seq] = e.entry_hash
            prev_hash = e.entry_hash
            expected_seq += 1
            checked += 1
            last_pk_seq = e.seq
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != checked or (checked and head.entry_hash != prev_hash)):
        return VerifyResult(False, checked, checked + 1 if head.seq > checked else head.seq,
                            f"链头记录为第 {head.seq} 条，但链上只有 {checked} 条（链尾被截断）")
    for number, cp, raw in read_checkpoints():
        if cp is None:
            return VerifyResult(False, checked, None, f"检查点文件第 {number} 行签名无效：{raw[:40]}")
        if cp.seq > checked:
            return VerifyResult(False, checked, checked + 1,
                                f"检查点（文件第 {number} 行）记录到第 {cp.seq} 条，链上只有 {checked} 条"
                                "（链尾被截断或重写）")
        if hashes.get(cp.seq) != cp.entry_hash:
            return VerifyResult(False, checked, cp.seq,
                                f"第 {cp.seq} 条与检查点（文件第 {number} 行）不符（链被重写）")
    return VerifyResult(True, checked, None, "", seals=seals, old_seals=old_seals)


def entries(*, action: str = "", object_type: str = "", actor: str = "",
            day_from: date | None = None, day_to: date | None = None) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.order_by("-seq")
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if actor:
        qs = qs.filter(actor_name__icontains=actor)
    if day_from:
        qs = qs.filter(at__gte=datetime.combine(day_from, time.min, tzinfo=clock.SHANGHAI))
    if day_to:
        qs = qs.filter(at__lt=datetime.combine(day_to + timedelta(days=1), time.min,
                                               tzinfo=clock.SHANGHAI))
    return qs


def known_actions() -> list[str]:
    return sorted(set(AuditEntry.objects.values_list("action", flat=True).distinct()))
