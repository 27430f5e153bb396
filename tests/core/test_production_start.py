"""A real production start (issue 11, item 8).

- production refuses sandbox providers, missing keys, DEBUG …: one line per setting, no traceback,
  from `huiquan serve`, from importing huiquan.wsgi and from gunicorn itself;
- docs/deploy.md lists every environment variable the code reads;
- docs/deploy.md's recipe starts a production server that answers: the test runs the recipe's
  own key-generation block, starts `huiquan serve` as a real process with exactly the variables
  it wrote (the two providers named as stand-ins from tests/support/providers.py), then asks
  /healthz, the campaign page, and sets a staff password and logs in through the proxy headers.
"""

from __future__ import annotations

import ast
import http.client
import json
import os
import queue
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from huiquan.core.startup import EXIT_REFUSED, problems

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = (ROOT / "docs" / "deploy.md").read_text()
BIN = Path(sys.executable).parent
STAND_INS = {"HUIQUAN_SMS_PROVIDER": "tests.support.providers.StandInSmsGateway",
             "HUIQUAN_PAYMENT_PROVIDER": "tests.support.providers.StandInAcquirer"}
FERNET_KEY = "a" * 43 + "="  # 32 bytes of URL-safe base64


# --- the gate, setting by setting ---------------------------------------------------------------


@pytest.fixture
def production(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """A production configuration that passes; each test breaks one thing."""
    monkeypatch.delenv("HUIQUAN_CLOCK_START", raising=False)
    settings.HUIQUAN_MODE, settings.SANDBOX = "production", False
    settings.HUIQUAN_SECRET_KEY_GIVEN = True
    settings.HUIQUAN_ID_KEYS, settings.HUIQUAN_ID_HASH_KEY = [FERNET_KEY], "hash-key"
    settings.DEBUG, settings.ALLOWED_HOSTS = False, ["xq.example.gov.cn"]
    settings.HUIQUAN_SMS_PROVIDER = STAND_INS["HUIQUAN_SMS_PROVIDER"]
    settings.HUIQUAN_PAYMENT_PROVIDER = STAND_INS["HUIQUAN_PAYMENT_PROVIDER"]
    return settings


def test_a_complete_production_configuration_passes(production):
    assert problems(production) == []


def test_the_demo_needs_nothing(settings):
    assert problems(settings) == []


@pytest.mark.parametrize(("setting", "value", "named"), [
    ("HUIQUAN_SMS_PROVIDER", "huiquan.consumers.sms.SandboxSmsProvider", "HUIQUAN_SMS_PROVIDER"),
    ("HUIQUAN_PAYMENT_PROVIDER", "huiquan.redemptions.payments.SandboxPaymentProvider",
     "HUIQUAN_PAYMENT_PROVIDER"),
    ("HUIQUAN_SMS_PROVIDER", "tests.support.providers.ForgotToSayWhatItIs", "HUIQUAN_SMS_PROVIDER"),
    ("HUIQUAN_SMS_PROVIDER", "county.sms.Gateway", "HUIQUAN_SMS_PROVIDER"),  # not importable
    ("HUIQUAN_PAYMENT_PROVIDER", "", "HUIQUAN_PAYMENT_PROVIDER"),
    ("HUIQUAN_SECRET_KEY_GIVEN", False, "HUIQUAN_SECRET_KEY"),
    ("HUIQUAN_ID_KEYS", [], "HUIQUAN_ID_KEYS"),
    ("HUIQUAN_ID_KEYS", [FERNET_KEY, "not-a-key"], "HUIQUAN_ID_KEYS"),
    ("HUIQUAN_ID_HASH_KEY", "", "HUIQUAN_ID_HASH_KEY"),
    ("DEBUG", True, "HUIQUAN_DEBUG"),
    ("ALLOWED_HOSTS", [], "HUIQUAN_ALLOWED_HOSTS"),
    ("ALLOWED_HOSTS", ["*"], "HUIQUAN_ALLOWED_HOSTS"),
    ("ALLOWED_HOSTS", ["xq.example.gov.cn", "*"], "HUIQUAN_ALLOWED_HOSTS"),
    ("SECRET_KEY", "changeme", "HUIQUAN_SECRET_KEY"),
    ("SECRET_KEY", "x" * 80, "HUIQUAN_SECRET_KEY"),
    ("SECRET_KEY", "django-insecure-" + "k3J9vQ2mX8pL5nR7tY1wZ4bC6dF0gH" * 2, "HUIQUAN_SECRET_KEY"),
    ("SECRET_KEY", "k3J9vQ2mX8pL5nR7tY1wZ4bC6dF0gH", "HUIQUAN_SECRET_KEY"),  # too short
    ("HUIQUAN_SETTING_ERRORS", ["HUIQUAN_TRUSTED_PROXIES='x' 不是 IP 地址或 CIDR 网段"],
     "HUIQUAN_TRUSTED_PROXIES"),
    ("HUIQUAN_MODE", "prod", "HUIQUAN_MODE"),
])
def test_each_unsafe_setting_is_one_line_naming_it(production, setting, value, named):
    setattr(production, setting, value)
    found = problems(production)
    assert len(found) == 1 and named in found[0] and "\n" not in found[0], found


def test_a_strong_secret_key_passes(production):
    production.SECRET_KEY = "Xq7-" + "k3J9vQ2mX8pL5nR7tY1wZ4bC6dF0gH" * 2
    assert problems(production) == []


def test_a_demo_clock_is_refused_in_production(production, monkeypatch):
    monkeypatch.setenv("HUIQUAN_CLOCK_START", "2024-06-21T09:59:00+08:00")
    assert [line.split(" ")[0] for line in problems(production)] == ["HUIQUAN_CLOCK_START"]


# --- the gate from every entry, as real processes -----------------------------------------------

UNSAFE = {"HUIQUAN_MODE": "production", "HUIQUAN_DEBUG": "1",
          "HUIQUAN_SMS_PROVIDER": "huiquan.consumers.sms.SandboxSmsProvider"}
NAMED = ["HUIQUAN_SECRET_KEY", "HUIQUAN_ID_KEYS", "HUIQUAN_ID_HASH_KEY", "HUIQUAN_DEBUG",
         "HUIQUAN_ALLOWED_HOSTS", "HUIQUAN_SMS_PROVIDER", "HUIQUAN_PAYMENT_PROVIDER"]


def clean_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """Nothing of this test process's environment but PATH: only what the test names."""
    return {"PATH": os.environ["PATH"], "HOME": str(tmp_path),
            "HUIQUAN_VAR_DIR": str(tmp_path / "var"), **variables}


@pytest.mark.parametrize("entry", [
    [str(BIN / "huiquan"), "serve", "--port", "1"],
    [sys.executable, "-c", "import huiquan.wsgi"],
    [sys.executable, "-m", "gunicorn", "huiquan.wsgi:application", "--bind", "127.0.0.1:0",
     "--workers", "1", "--no-control-socket"],
], ids=["huiquan serve", "import huiquan.wsgi", "gunicorn"])
def test_production_refuses_to_start_with_one_line_per_setting(tmp_path, entry):
    done = subprocess.run(entry, env=clean_env(tmp_path, **UNSAFE), capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == EXIT_REFUSED, done.stderr
    assert "Traceback" not in done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("错误：")]
    for name in NAMED:
        assert len({line for line in ours if line.startswith(f"错误：{name}")}) == 1, (name, ours)
    assert not (tmp_path / "var" / "huiquan.db").exists()  # refused before migrating anything


@pytest.mark.parametrize("mode", ["demo", "production"])
def test_a_bad_trusted_proxy_entry_is_one_line_not_a_traceback(tmp_path, mode):
    """Hostile input second round, F6 (and F7: a weak key and ``*`` hosts, named each)."""
    variables = {"HUIQUAN_MODE": mode, "HUIQUAN_TRUSTED_PROXIES": "127.0.0.1,proxy.local"}
    if mode == "production":
        variables.update(HUIQUAN_SECRET_KEY="changeme", HUIQUAN_ALLOWED_HOSTS="*",
                         HUIQUAN_ID_KEYS=FERNET_KEY, HUIQUAN_ID_HASH_KEY="hash-key", **STAND_INS)
    done = subprocess.run([sys.executable, "-c", "import huiquan.wsgi"],
                          env=clean_env(tmp_path, **variables), capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == EXIT_REFUSED, done.stderr
    assert "Traceback" not in done.stderr
    ours = sorted(line.split("=")[0].split(" ")[0] for line in done.stderr.splitlines()
                  if line.startswith("错误："))
    expected = ["错误：HUIQUAN_TRUSTED_PROXIES"]
    if mode == "production":
        expected = ["错误：HUIQUAN_ALLOWED_HOSTS", "错误：HUIQUAN_SECRET_KEY", *expected]
    assert ours == expected, done.stderr
    assert "proxy.local" in done.stderr


# --- the table of settings against the code -----------------------------------------------------


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ")


def variables_read_by_code() -> set[str]:
    """Names in os.environ.get("X"), os.environ["X"], os.getenv("X"), "X" in os.environ."""
    names: set[str] = set()
    for path in (ROOT / "huiquan").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            key: ast.AST | None = None
            if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
                reads = (node.func.attr == "get" and _is_environ(node.func.value)) or (
                    node.func.attr == "getenv")
                key = node.args[0] if reads else None
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) \
                    and _is_environ(node.value):
                key = node.slice
            elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
                key = node.left
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
    return names


def documented_variables() -> set[str]:
    table = DEPLOY.split("## Environment variables", 1)[1]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", table, flags=re.MULTILINE))


def test_deploy_md_lists_every_setting_the_code_reads():
    read, documented = variables_read_by_code(), documented_variables()
    assert "HUIQUAN_ID_KEYS" in read and "HUIQUAN_GEOFENCE_DIR" in read  # the scan sees them
    assert read - documented == set(), "read by the code, missing from docs/deploy.md"
    assert documented - read == set(), "in docs/deploy.md, read by nothing"


# --- the recipe, as a new user runs it ----------------------------------------------------------


def recipe_block() -> str:
    """The first shell block of docs/deploy.md (the one-machine recipe)."""
    return DEPLOY.split("```sh\n", 1)[1].split("```", 1)[0]


def run_key_block(tmp_path: Path) -> dict[str, str]:
    """The recipe's "once" part (umask … EOF), run by bash as written; returns huiquan.env."""
    block = recipe_block()
    script = block[block.index("umask 077"):block.index("\nEOF\n") + len("\nEOF\n")]
    subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, check=True, timeout=60,
                   env={"PATH": os.environ["PATH"]})
    env_file = tmp_path / "huiquan.env"
    assert env_file.stat().st_mode & 0o077 == 0  # only its owner can read the keys
    pairs = [line.split("=", 1) for line in env_file.read_text().splitlines() if line]
    return {name: value for name, value in pairs}


def serve_argv(port: int) -> list[str]:
    line = next(x for x in recipe_block().splitlines() if x.startswith(".venv/bin/huiquan serve"))
    argv = shlex.split(line)
    argv[0] = str(ROOT / argv[0])
    argv[argv.index("--port") + 1] = str(port)
    argv[argv.index("--workers") + 1] = "1"  # a 2-core machine shared by several test runs
    return argv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def production_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env_file = run_key_block(tmp_path)
    assert {"HUIQUAN_SMS_PROVIDER", "HUIQUAN_PAYMENT_PROVIDER"} <= set(env_file)
    # The county's own adapters live outside huiquan/: on PYTHONPATH, as deploy.md says.
    env = clean_env(tmp_path, **{**env_file, **STAND_INS}, PYTHONPATH=str(ROOT))
    port = free_port()
    server = subprocess.Popen(serve_argv(port), env=env, cwd=tmp_path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: queue.Queue[str] = queue.Queue()
    log: list[str] = []

    def read() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            log.append(line)
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    try:
        while "Listening at:" not in (line := lines.get(timeout=120)):
            assert line, "".join(log)  # the server ended before listening
        yield {"port": port, "env": env, "host": env_file["HUIQUAN_ALLOWED_HOSTS"], "log": log}
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert "Traceback" not in "".join(log)


class Browser:
    """HTTP through the TLS terminator's headers, keeping cookies (Secure ones included: the
    terminator speaks HTTPS to the browser)."""

    def __init__(self, port: int, host: str):
        self.port, self.host, self.cookies = port, host, {}  # type: ignore[var-annotated]

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                https: bool = True) -> tuple[int, dict[str, str], str]:
        headers = {"Host": self.host, "X-Forwarded-Proto": "https" if https else "http"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            from urllib.parse import urlencode

            body = urlencode(form)
            headers.update({"Content-Type": "application/x-www-form-urlencoded",
                            "Origin": f"https://{self.host}"})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        answer = (response.status, {k.lower(): v for k, v in response.getheaders()},
                  response.read().decode())
        conn.close()
        return answer

    def csrf(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_the_documented_recipe_starts_a_production_server_that_answers(production_server):
    port, host = production_server["port"], production_server["host"]
    browser = Browser(port, host)
    status, _, body = browser.request("GET", "/healthz")
    assert status == 200 and json.loads(body)["ok"] is True
    status, _, body = browser.request("GET", "/")
    assert status == 200 and "畅享家居" in body and "沙箱" not in body
    status, headers, _ = browser.request("GET", "/healthz", https=False)
    assert status == 301 and headers["location"] == f"https://{host}/healthz"
    assert "模式：production" in "".join(production_server["log"])

    # The first account, as deploy.md does it next: a link, a password, a log-in.
    added = subprocess.run([str(BIN / "huiquan"), "staff", "add", "admin", "--role", "admin",
                            "--name", "张三", "--org", "平台运维"], env=production_server["env"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    link = re.search(rf"https://{re.escape(host)}(/office/set-password/\S+)", added.stdout)
    assert link, added.stdout
    status, headers, _ = browser.request("GET", link.group(1))
    assert status == 302
    form_path = headers["location"]
    status, _, html = browser.request("GET", form_path)
    assert status == 200 and "设置密码" in html
    password = "kaiye-2024-xian-pw"
    status, headers, _ = browser.request("POST", form_path, {
        "csrfmiddlewaretoken": browser.csrf(html), "new_password1": password,
        "new_password2": password})
    assert status == 302 and headers["location"] == "/office/login/"
    status, _, html = browser.request("GET", "/office/login/")
    status, headers, _ = browser.request("POST", "/office/login/", {
        "csrfmiddlewaretoken": browser.csrf(html), "username": "admin", "password": password})
    assert status == 302 and headers["location"] == "/office/"
    status, _, html = browser.request("GET", "/office/")
    assert status == 200 and "张三" in html
