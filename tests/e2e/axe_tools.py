"""axe-core (npm, MPL-2.0) for the accessibility checks of the browser tests (issue 16, item 5).

Pinned in tests/e2e/axe/package.json and package-lock.json (with its sha512) and installed with
`npm ci` into tests/e2e/axe/node_modules by the test command (scripts/run_tests.py) or, on first
use, by the `axe` fixture. Only the browser tests read it: it is never served to anyone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
NPM_CI = ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]


def ensure_axe() -> str | None:
    """Install axe-core when it is missing or older than the lock file; the reason when it
    cannot be (None: ready)."""
    lock = AXE_DIR / "package-lock.json"
    if AXE_JS.exists() and AXE_JS.stat().st_mtime >= lock.stat().st_mtime:
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm 未安装，无法安装 axe-core（apt-get install npm）"
    done = subprocess.run([npm, *NPM_CI], cwd=AXE_DIR, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not AXE_JS.exists():
        return f"npm ci 安装 axe-core 失败：{(done.stderr or done.stdout).strip()[-300:]}"
    AXE_JS.touch()
    return None
