"""Recomputing the seals of rows written on the hot paths (invariant 9, issue 12).

Claims and redemptions are not chained one by one; ``services.seal_rows`` puts a batch of them
into one chain entry with a SHA-256 over the rows. ``check_seal`` reads the rows the entry says it
covers, recomputes that hash, and on a mismatch names the row: a deleted one, or the one whose
short digest (kept in the entry) no longer matches. The entry itself is protected by the chain,
so an edit to a sealed row cannot be hidden by editing its seal."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, TypeGuard

from django.apps import apps

from huiquan.audit.services import ROW_DIGEST_CHARS, row_digest, seal_line


def is_seal(after: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(after, dict) and "sha256" in after and "count" in after


def is_exact(after: dict[str, Any]) -> bool:
    """Seals written since issue 12 say exactly which rows they cover; older ones only the
    first and last id, which is not enough to recompute them."""
    return all(key in after for key in ("model", "fields", "ids", "rows"))


def _ids(runs: list[list[int]]) -> Iterator[int]:
    for first, last in runs:
        yield from range(first, last + 1)


def check_seal(after: dict[str, Any], seen: set[tuple[str, int]]) -> str | None:
    """None when the rows still hash to the seal; else what is wrong, naming the row. ``seen``
    collects (model, id) over all seals: a row sealed twice (its flag reset) is named too."""
    model = apps.get_model(after["model"])
    name = str(model._meta.verbose_name)
    ids = list(_ids(after["ids"]))
    if len(ids) != after["count"]:
        return f"封存记录的行数 {after['count']} 与行号清单 {len(ids)} 不符"
    for pk in ids:
        if (after["model"], pk) in seen:
            return f"{name} #{pk} 被重复封存（封存标记被改动过）"
        seen.add((after["model"], pk))
    wanted = set(ids)
    rows = [row for row in model._default_manager.filter(pk__gte=ids[0], pk__lte=ids[-1])
            .order_by("pk").values_list(*after["fields"]) if row[0] in wanted]
    present = {row[0] for row in rows}
    missing = [pk for pk in ids if pk not in present]
    if missing:
        return f"封存的{name} #{missing[0]} 已被删除"
    lines = [seal_line(row) for row in rows]
    if hashlib.sha256(b"".join(lines)).hexdigest() == after["sha256"]:
        return None
    digests = after["rows"]
    for index, (row, line) in enumerate(zip(rows, lines, strict=True)):
        kept = digests[index * ROW_DIGEST_CHARS:(index + 1) * ROW_DIGEST_CHARS]
        if row_digest(line) != kept:
            return f"封存的{name} #{row[0]} 在封存后被修改"
    return "封存哈希不符，但无法定位到具体的行"
