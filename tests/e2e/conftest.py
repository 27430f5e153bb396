"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser).

Skipped with a reason where chromium is absent on a developer's machine; under CI=true a missing
chromium is a failure (`make test` installs it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Playwright's sync API runs an event loop in this thread; the live server's ORM calls happen
# in the server thread, the test's own ORM calls here are plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI=true but Debian's chromium is not installed")
        pytest.skip("chromium 未安装：apt-get install chromium（make test 会自动安装）")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic",
                  "--no-first-run"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(15_000)
    yield p
    context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's source (tests/e2e/axe_tools.py installs it from npm on first use)."""
    from tests.e2e.axe_tools import AXE_JS, ensure_axe

    problem = ensure_axe()
    if problem:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(problem)
        pytest.skip(problem)
    return AXE_JS.read_text(encoding="utf-8")


# WCAG 2.1 A and AA rules; what the issue asks of every resident page: no serious or critical
# violation (contrast ≥ 4.5:1, labelled inputs, names for buttons and links …).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def axe(axe_source: str) -> Any:
    """``axe(page)`` runs axe-core in the page (through the DevTools protocol, so the page's
    Content-Security-Policy stays as it is) and returns its serious and critical violations as
    readable lines."""

    def run(page: Any) -> list[str]:
        page.evaluate(axe_source + "\n;void 0")
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        return [f"{v['id']} ({v['impact']}): {v['help']} — "
                + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                            for n in v["nodes"][:5])
                for v in result["violations"] if v["impact"] in ("serious", "critical")]

    return run
