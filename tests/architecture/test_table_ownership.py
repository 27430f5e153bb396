"""Each app owns its tables (issue 13, docs/architecture.md).

The import contract (pyproject.toml [tool.importlinter], run by `make test`) cannot see a
table named inside an SQL string. This test reads every string literal of every module under
huiquan/ (the parts of f-strings too) and fails when one names a table of another app of
huiquan. Two documented exceptions:

- huiquan/redemptions/scan.py, the till's one cross-app read (its docstring says why);
- the user table (core_user, settings.AUTH_USER_MODEL), which every app keys on, may be joined
  in a SELECT; it is written only by core and staff.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "huiquan"
CROSS_APP_READ = {"huiquan/redemptions/scan.py"}
SHARED_FOR_READS = {"core_user"}


def _tables() -> dict[str, str]:
    """Table name → the huiquan app (``huiquan.x``) that owns it."""
    return {model._meta.db_table: model._meta.app_config.name
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_config.name.startswith("huiquan.")}


def _owner(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return f"huiquan.{parts[0]}" if len(parts) > 1 else "huiquan"


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def foreign_tables_in(text: str, owner: str, tables: dict[str, str]) -> list[str]:
    """The tables of other apps that one string names."""
    words = re.compile(r"\b(" + "|".join(sorted(map(re.escape, tables), key=len, reverse=True))
                       + r")\b")
    shared_read = text.lstrip().upper().startswith(("SELECT", "FROM"))
    return [f"{table} (owned by {tables[table]})" for table in words.findall(text)
            if tables[table] != owner and not (table in SHARED_FOR_READS and shared_read)]


def foreign_tables(path: Path, tables: dict[str, str], owner: str | None = None) -> list[str]:
    """Where a string literal of this module names another app's table."""
    owner = owner or _owner(path)
    return [f"{line}: {hit}" for line, text in _strings(path)
            for hit in foreign_tables_in(text, owner, tables)]


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_no_sql_string_names_another_apps_table():
    tables = _tables()
    assert len(tables) > 20  # the registry is loaded: every app's tables are known
    bad = [f"{path.relative_to(ROOT)}:{hit}" for path in _modules()
           if str(path.relative_to(ROOT)) not in CROSS_APP_READ
           for hit in foreign_tables(path, tables)]
    assert bad == [], "SQL naming another app's table (use the owner's selectors/services):\n" + (
        "\n".join(bad))


def test_the_check_sees_a_foreign_table_in_a_plain_and_in_an_f_string(tmp_path):
    """The check itself: a module of vouchers naming campaigns' and ledger's tables is caught;
    its own table, and a SELECT joining the user table, are not."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        'OWN = "SELECT id FROM vouchers_voucher v JOIN core_user u ON u.id = v.consumer_id"\n'
        'BAD = "UPDATE campaigns_release SET remaining_count = 0"\n'
        'WRITE_USERS = "UPDATE core_user SET is_active = false"\n'
        "def f(x):\n"
        '    return f"SELECT 1 FROM ledger_account a WHERE a.id = {x}"\n')
    hits = foreign_tables(probe, _tables(), owner="huiquan.vouchers")
    assert [h.split(": ", 1)[1] for h in hits] == [
        "campaigns_release (owned by huiquan.campaigns)",
        "core_user (owned by huiquan.core)",
        "ledger_account (owned by huiquan.ledger)"]
