"""The production start gate (issue 11, item 8).

Production mode refuses to start while anything that makes it unsafe is set (or missing): each
problem is ONE line naming the environment variable, not a traceback, and nothing is served. It
runs when Django starts (``CoreConfig.ready``), so every entry is covered: `huiquan serve` and
every other `huiquan` command, and a WSGI server importing ``huiquan.wsgi`` directly.

The process then exits with status 4, which gunicorn reads as "App failed to load" and stops
instead of starting workers again and again.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.utils.module_loading import import_string

EXIT_REFUSED = 4  # gunicorn's APP_LOAD_ERROR: the master stops instead of respawning workers
PROVIDERS = {
    "HUIQUAN_SMS_PROVIDER": ("短信网关", "huiquan.consumers.sms.NotConnectedSmsProvider"),
    "HUIQUAN_PAYMENT_PROVIDER": ("收单（支付）",
                                 "huiquan.redemptions.payments.NotConnectedPaymentProvider"),
}


def _provider_problem(setting: str, path: str) -> str | None:
    what, placeholder = PROVIDERS[setting]
    if not path:
        return (f"{setting} 未设置：生产模式须指定{what}适配器的类（尚未接入时用 {placeholder}，"
                "见 docs/deploy.md）")
    try:
        cls = import_string(path)
    except ImportError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"{setting}={path} 无法导入：{reason}"
    if getattr(cls, "sandbox", None) is not False:
        return (f"{setting}={path} 是沙箱实现或没有声明 sandbox = False：生产模式不接受模拟的"
                f"{what}")
    return None


def _fernet_problem(keys: list[str]) -> str | None:
    from cryptography.fernet import Fernet

    for n, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            return (f"HUIQUAN_ID_KEYS 的第 {n} 个密钥不是有效的 Fernet 密钥（32 字节的 URL 安全 "
                    "base64，见 docs/deploy.md 的生成命令）")
    return None


MIN_SECRET = 50  # characters, as Django's own deployment check asks
# Values people copy from examples and tutorials: never a production key, whatever their length.
KNOWN_SECRETS = ("django-insecure-", "changeme", "change-me", "secret", "huiquan", "example")


def weak_secret(key: str) -> bool:
    """Django's deployment check (length, variety, its insecure prefix), plus copied values."""
    text = key.strip().lower()
    return (len(text) < MIN_SECRET or len(set(text)) < 5
            or any(text.startswith(known) for known in KNOWN_SECRETS))


def problems(settings: Any) -> list[str]:
    """Every reason the configured settings must not serve, one line each (empty: fine)."""
    found = list(getattr(settings, "HUIQUAN_SETTING_ERRORS", []))
    if settings.HUIQUAN_MODE not in settings.MODES:
        found.append(f"HUIQUAN_MODE={settings.HUIQUAN_MODE!r} 无效：只能是 demo、sandbox 或 "
                     "production")
    if settings.SANDBOX:
        return found
    if not settings.HUIQUAN_SECRET_KEY_GIVEN:
        found.append("HUIQUAN_SECRET_KEY 未设置：生产模式必须设置（每台服务器相同，妥善保管）")
    elif weak_secret(settings.SECRET_KEY):
        found.append(f"HUIQUAN_SECRET_KEY 太弱：生产模式须用至少 {MIN_SECRET} 个字符的随机值（见 "
                     "docs/deploy.md 的生成命令），不能用示例或默认值")
    if not settings.HUIQUAN_ID_KEYS:
        found.append("HUIQUAN_ID_KEYS 未设置：生产模式必须设置身份证号的加密密钥（Fernet 密钥，"
                     "新密钥在前，逗号分隔）")
    elif problem := _fernet_problem(settings.HUIQUAN_ID_KEYS):
        found.append(problem)
    if not settings.HUIQUAN_ID_HASH_KEY:
        found.append("HUIQUAN_ID_HASH_KEY 未设置：生产模式必须设置（“一证一户”的散列密钥，"
                     "永不更换）")
    if settings.DEBUG:
        found.append("HUIQUAN_DEBUG=1：生产模式不能打开调试（出错页会泄露设置与数据）")
    if not settings.ALLOWED_HOSTS:
        found.append("HUIQUAN_ALLOWED_HOSTS 未设置：生产模式须列出本站的域名（逗号分隔）")
    elif any(host.strip() in ("*", ".") for host in settings.ALLOWED_HOSTS):
        found.append("HUIQUAN_ALLOWED_HOSTS 含 *：生产模式须列出本站的域名（逗号分隔），不能接受任意"
                     "主机名")
    if os.environ.get("HUIQUAN_CLOCK_START"):
        found.append("HUIQUAN_CLOCK_START 已设置：演示时钟不能用于生产模式")
    for setting in PROVIDERS:
        if problem := _provider_problem(setting, getattr(settings, setting)):
            found.append(problem)
    return found


def refuse_unsafe_start() -> None:
    """Print each problem on one line and exit, before anything is served or written."""
    from django.conf import settings

    found = problems(settings)
    if not found:
        return
    for line in found:
        print(f"错误：{line}", file=sys.stderr)
    print(f"huiquan 拒绝启动（HUIQUAN_MODE={settings.HUIQUAN_MODE}）：请按 docs/deploy.md 设置以上变量",
          file=sys.stderr, flush=True)
    raise SystemExit(EXIT_REFUSED)
