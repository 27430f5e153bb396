"""Invariant 1: no float ever touches money. Yuan are written only by core/money.py
(format_yuan; the templates' |yuan filter uses it): nowhere else divides money by 100 into a
float (issue 13; integer `// 100` of a percentage stays in fen)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "huiquan"


def _divisions_by_100(path: Path) -> list[str]:
    return [f"{path}:{node.lineno}"
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)  # a float: `//` stays in fen
            and isinstance(node.right, ast.Constant) and node.right.value in (100, 100.0)]


def test_only_core_money_turns_fen_into_yuan():
    found = [hit for path in sorted(PACKAGE.rglob("*.py"))
             if "migrations" not in path.parts and path != PACKAGE / "core" / "money.py"
             for hit in _divisions_by_100(path)]
    assert found == [], "format money with huiquan.core.money.format_yuan"


def test_the_check_sees_a_float_yuan(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('def f(r):\n    return f"{r.refund_fen / 100:.2f}"\n')
    assert len(_divisions_by_100(probe)) == 1
