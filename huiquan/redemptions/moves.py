"""Subsidy moving between ledger scopes, split by funding source (the till's sale, its payment
and its returns post through these; invariant 5)."""

from __future__ import annotations

from typing import Any

from huiquan.campaigns.selectors import funding_sources, funding_sources_memo
from huiquan.ledger.scopes import Scope
from huiquan.ledger.services import pair_accounts


def sources(campaign: Any) -> dict[str, Any]:
    return {str(s.pk): s for s in funding_sources(campaign)}


def sources_for(campaign: Any, split: dict[str, int]) -> dict[str, Any]:
    """The funding sources a split names, from the per-process memo (a sale's two ledger
    postings) or, when the memo does not know one, read fresh."""
    remembered = {str(s.pk): s for s in funding_sources_memo(campaign)}
    return remembered if all(sid in remembered for sid in split) else sources(campaign)


def move_by_source(*, campaign: Any, split: dict[str, int], source_scope: Scope,
                   dest_scope: Scope, lock: bool = True) -> list[tuple[Any, int]]:
    """The posting lines of a split moving between two scopes; both sides' accounts are read
    (and locked together: the caller posts with ``locked=True``) in one statement; without
    ``lock``, for a ``post(..., lock_late=True)``."""
    known = sources_for(campaign, split)
    moving = [(known[sid], amount) for sid, amount in split.items() if amount > 0]
    takes, gives = pair_accounts(campaign=campaign, source_scope=source_scope,
                                 dest_scope=dest_scope, sources=[s for s, _ in moving],
                                 lock=lock)
    lines: list[tuple[Any, int]] = []
    for (_, amount), take, give in zip(moving, takes, gives, strict=True):
        lines += [(take, -amount), (give, amount)]
    return lines
