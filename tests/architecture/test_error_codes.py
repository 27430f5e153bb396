"""Error codes are enums, raised by name, and documented (issue 13; docs/api.md "Error codes").

Every code is a member of an app's ``ErrorCode`` enum (``<app>/errors.py``, core's in
core/errors.py). These tests fail when: a code string is written at a raise site instead of its
member; a member is missing from docs/api.md, or docs/api.md lists a code no enum has; a member
is never used; a raise site's status differs from its member's without saying so.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

from huiquan.core.errors import DomainError, ErrorCode

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "huiquan"
DOCS = ROOT / "docs" / "api.md"


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _enums() -> dict[str, type[ErrorCode]]:
    """Every ErrorCode enum of huiquan, by class name."""
    found: dict[str, type[ErrorCode]] = {}
    for path in [PACKAGE / "core" / "errors.py", *sorted(PACKAGE.glob("*/errors.py"))]:
        module = importlib.import_module(_module_name(path))
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, ErrorCode) and obj is not ErrorCode
                    and obj.__module__ == module.__name__):
                found[name] = obj
    return found


def _members() -> dict[str, ErrorCode]:
    codes: dict[str, ErrorCode] = {}
    for enum in _enums().values():
        for member in enum:
            assert member.value not in codes, f"{member.value} is in two enums"
            codes[member.value] = member
    return codes


def _documented() -> set[str]:
    """Codes in the first column of docs/api.md's error tables (`A` / `B` rows count both)."""
    text = DOCS.read_text(encoding="utf-8").split("## Error codes", 1)[1]
    codes: set[str] = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            codes.update(re.findall(r"`([A-Z][A-Z_]+)`", line.split("|")[1]))
    return codes


def test_every_code_is_documented_and_every_documented_code_exists():
    codes, documented = set(_members()), _documented()
    assert sorted(codes - documented) == [], "raised but missing from docs/api.md"
    assert sorted(documented - codes) == [], "in docs/api.md but no enum has it"


def test_every_member_is_used_outside_its_enum():
    used: set[str] = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id.endswith("Code")):
                used.add(node.attr)
    unused = sorted(set(_members()) - used - {"INVALID"})  # INVALID: DomainError's default
    assert unused == [], "codes nobody raises: remove them (and their docs/api.md rows)"


def _is_code(node: ast.AST) -> bool:
    """A literal that looks like an error code (forms' own lower-case codes are Django's)."""
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and re.fullmatch(r"[A-Z][A-Z_]+", node.value) is not None)


def _code_strings_at_raise_sites(path: Path) -> list[str]:
    """``code="X"`` keywords, ``code = "X"`` class attributes and ``_refuse("X", …)``."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "code" and _is_code(kw.value):
                    bad.append(f"{path.name}:{node.lineno} code={kw.value.value!r}")
            if (node.args and _is_code(node.args[0])
                    and isinstance(node.func, ast.Name) and node.func.id == "_refuse"):
                bad.append(f"{path.name}:{node.lineno} _refuse({node.args[0].value!r})")
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (isinstance(item, ast.Assign) and len(item.targets) == 1
                        and isinstance(item.targets[0], ast.Name) and item.targets[0].id == "code"
                        and _is_code(item.value)):
                    bad.append(f"{path.name}:{item.lineno} class {node.name}: code = "
                               f"{item.value.value!r}")
    return bad


def test_raise_sites_name_enum_members_not_strings():
    bad = [hit for path in _modules() for hit in _code_strings_at_raise_sites(path)]
    assert bad == [], "use the app's ErrorCode member (<app>/errors.py):\n" + "\n".join(bad)


def test_the_raise_site_check_sees_a_bare_code_string(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('class E(X):\n    code = "SOLD_OUT"\n\n'
                     'def f():\n    raise E("m", code="SOLD_OUT")\n\n'
                     'def g():\n    raise _refuse("SOLD_OUT", "m")\n')
    assert len(_code_strings_at_raise_sites(probe)) == 3


def test_every_error_class_answers_with_its_codes_status():
    """A class's status is its code's (so a raise without status= answers what the enum says)."""
    members = _members()
    wrong = []
    for path in _modules():
        module = importlib.import_module(_module_name(path))
        for name, cls in vars(module).items():
            if (inspect.isclass(cls) and issubclass(cls, DomainError)
                    and cls.__module__ == module.__name__ and "code" in vars(cls)):
                member = members[str(cls.code)]
                if cls.status != member.status:
                    wrong.append(f"{module.__name__}.{name}: {cls.status} ≠ {member!s} "
                                 f"{member.status}")
    assert wrong == []


def test_raise_sites_without_a_status_answer_their_codes_status():
    """``SomeError(…, code=X.Y)`` without ``status=`` answers the class's status: it must be the
    member's. (A site that needs another status says so with ``status=``.)"""
    members = _members()
    wrong = []
    for path in _modules():
        module = importlib.import_module(_module_name(path))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            kws = {kw.arg: kw.value for kw in node.keywords}
            code = kws.get("code")
            if "status" in kws or not (isinstance(code, ast.Attribute)
                                       and code.attr in members):
                continue
            try:
                func = eval(ast.unparse(node.func), vars(module))
            except Exception:
                continue
            if inspect.isclass(func) and issubclass(func, DomainError):
                if func.status != members[code.attr].status:
                    wrong.append(f"{path.name}:{node.lineno} {func.__name__} answers "
                                 f"{func.status}, {code.attr} says {members[code.attr].status}")
    assert wrong == []
