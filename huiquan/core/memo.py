"""Per-process memos, each named, all in one registry (issue 13).

A few reads on the rush paths are remembered inside the process (the current campaign's claim
fence, releases seen sold out, signed API tokens, the till's goods): each is a plain ``dict`` or
``set`` made here with a name, so that tests forget them all with ``clear_all()`` (tests/
conftest.py) and nobody reaches one by a private name. Lookups cost what a dict's or a set's
do: these are subclasses that add nothing but the name.
"""

from __future__ import annotations

from typing import Any


class MemoDict(dict[Any, Any]):
    __slots__ = ("name",)
    name: str


class MemoSet(set[Any]):
    __slots__ = ("name",)
    name: str


_registry: dict[str, MemoDict | MemoSet] = {}


def _register(memo: MemoDict | MemoSet, name: str) -> Any:
    if name in _registry:
        raise ValueError(f"memo {name!r} exists already")
    memo.name = name
    _registry[name] = memo
    return memo


def new_dict(name: str) -> MemoDict:
    """A new named per-process dict (``app.what``)."""
    return _register(MemoDict(), name)  # type: ignore[no-any-return]


def new_set(name: str) -> MemoSet:
    """A new named per-process set (``app.what``)."""
    return _register(MemoSet(), name)  # type: ignore[no-any-return]


def named(name: str) -> MemoDict | MemoSet:
    return _registry[name]


def names() -> list[str]:
    return sorted(_registry)


def clear_all() -> None:
    """Forget everything every memo holds (tests: between tests)."""
    for memo in _registry.values():
        memo.clear()
