"""Writing to the audit log. Every service calls :func:`record` inside its own transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from huiquan.audit.models import AuditEntry, AuditHead
from huiquan.core import clock, guards
from huiquan.core.roles import role_of

GENESIS = "0" * 64

# Test-only hook: runs after the head is read, before the entry is written (forced interleaving).
_between_head_and_write: Callable[[], None] | None = None


def _canonical(value: Any) -> Any:
    """Round-trip through JSON so what we hash is exactly what the database gives back."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def compute_hash(*, prev_hash: str, seq: int, at: datetime, actor_id: int | None,
                 actor_name: str, role: str, action: str, object_type: str, object_id: str,
                 summary: str, before: Any, after: Any) -> str:
    body = {
        "seq": seq,
        "at": at.astimezone(clock.SHANGHAI).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "role": role,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary,
        "before": before,
        "after": after,
    }
    payload = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def record(*, actor: Any, action: str, obj_type: str, obj_id: Any = "", summary: str = "",
           before: Any = None, after: Any = None) -> AuditEntry:
    """Append one entry to the chain. Must run inside the caller's transaction.

    The head row is locked (PostgreSQL) or the IMMEDIATE transaction already holds the write
    lock (SQLite), so two writers never link to the same predecessor.
    """
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the service's transaction")
    heads = AuditHead.objects.all()
    if guards.enabled():  # race tests switch it off
        heads = heads.select_for_update()
    head, _ = heads.get_or_create(id=1)
    if _between_head_and_write is not None:
        _between_head_and_write()
    at = clock.now()
    seq = head.seq + 1
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_name = getattr(actor, "username", None) or "system"
    role = role_of(actor) or ("system" if actor is None else "")
    before_c, after_c = _canonical(before), _canonical(after)
    entry_hash = compute_hash(
        prev_hash=head.entry_hash, seq=seq, at=at, actor_id=actor_id, actor_name=actor_name,
        role=role, action=action, object_type=obj_type, object_id=str(obj_id),
        summary=summary[:255], before=before_c, after=after_c,
    )
    entry = AuditEntry.objects.create(
        seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, role=role, action=action,
        object_type=obj_type, object_id=str(obj_id), summary=summary[:255], before=before_c,
        after=after_c, prev_hash=head.entry_hash, entry_hash=entry_hash,
    )
    AuditHead.objects.filter(id=1).update(seq=seq, entry_hash=entry_hash)
    return entry


# --- checkpoints outside the database -----------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    entry_hash: str
    at: str
    signature: str

    def line(self) -> str:
        return f"{self.seq} {self.entry_hash} {self.at} {self.signature}\n"


def _sign(seq: int, entry_hash: str, at: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{seq}|{entry_hash}|{at}".encode(), hashlib.sha256).hexdigest()


def write_checkpoint() -> Checkpoint | None:
    """Append the chain's head as a signed line to the checkpoint file (invariant 9)."""
    last = AuditEntry.objects.order_by("-seq").first()
    if last is None:
        return None
    at = clock.now().isoformat(timespec="seconds")
    cp = Checkpoint(last.seq, last.entry_hash, at, _sign(last.seq, last.entry_hash, at))
    path = settings.HUIQUAN_AUDIT_CHECKPOINT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(cp.line())
    return cp


def read_checkpoints() -> list[tuple[int, Checkpoint | None, str]]:
    """(line number, checkpoint or None when the line is malformed or badly signed, raw)."""
    path = settings.HUIQUAN_AUDIT_CHECKPOINT_FILE
    if not path.exists():
        return []
    out: list[tuple[int, Checkpoint | None, str]] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = raw.split()
        cp: Checkpoint | None = None
        if len(parts) == 4 and parts[0].isdigit():
            candidate = Checkpoint(int(parts[0]), parts[1], parts[2], parts[3])
            if hmac.compare_digest(candidate.signature, _sign(candidate.seq,
                                                              candidate.entry_hash,
                                                              candidate.at)):
                cp = candidate
        out.append((number, cp, raw))
    return out


def seal_line(row: tuple[Any, ...]) -> bytes:
    """One sealed row as hashed: its values joined by "|" (datetimes in ISO 8601), newline."""
    return ("|".join(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in row)
            + "\n").encode()


def row_digest(line: bytes) -> str:
    """A row's own short digest, kept in the seal so ``audit verify`` can name an edited row
    (the seal's full SHA-256 over all rows is what proves the batch)."""
    return hashlib.sha256(line).hexdigest()[:ROW_DIGEST_CHARS]


ROW_DIGEST_CHARS = 8


def id_runs(ids: list[int]) -> list[list[int]]:
    """Ascending ids as [first, last] runs: exact, and short when ids are consecutive."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and runs[-1][1] + 1 == i:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs


def seal_rows(queryset: Any, *, fields: tuple[str, ...], action: str, obj_type: str, label: str,
              batch: int = 5000) -> int:
    """Seal rows written on a hot path (claims, redemptions) into the chain in one entry with a
    hash over them (invariant 9). The model needs a boolean ``sealed``; ``fields`` starts with
    "pk". The entry says exactly what it covers — the model, the fields, the ids (as runs) and
    each row's short digest — so ``audit verify`` recomputes the hash from the rows and names an
    edited or deleted one (issue 12). Returns rows sealed."""
    assert fields[0] == "pk"
    with transaction.atomic(durable=True):
        rows = list(queryset.select_for_update().filter(sealed=False).order_by("pk")
                    .values_list(*fields)[:batch])
        if not rows:
            return 0
        lines = [seal_line(row) for row in rows]
        ids = [r[0] for r in rows]
        queryset.model.objects.filter(pk__in=ids).update(sealed=True)
        record(actor=None, action=action, obj_type=obj_type, obj_id=f"{ids[0]}-{ids[-1]}",
               summary=f"封存 {len(ids)} {label}",
               after={"count": len(ids), "first": ids[0], "last": ids[-1],
                      "sha256": hashlib.sha256(b"".join(lines)).hexdigest(),
                      "model": queryset.model._meta.label_lower, "fields": list(fields),
                      "ids": id_runs(ids), "rows": "".join(row_digest(line) for line in lines)})
        return len(ids)
