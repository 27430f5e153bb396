"""Django settings. Everything that differs between machines comes from the environment.

Every variable read here (and anywhere in huiquan/) is listed in docs/deploy.md's table; a test
compares the two. Production mode never raises here: what is missing or unsafe is collected and
reported by huiquan.core.startup, one line per setting, before anything is served.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HUIQUAN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

MODES = ("demo", "sandbox", "production")
HUIQUAN_MODE = os.environ.get("HUIQUAN_MODE", "demo")
# An unknown mode is treated as production (the strict one) and refused at start.
SANDBOX = HUIQUAN_MODE in {"demo", "sandbox"}

# Production must be given its secret key; whether it was is what huiquan.core.startup checks.
HUIQUAN_SECRET_KEY_GIVEN = bool(os.environ.get("HUIQUAN_SECRET_KEY"))
# Values that could not be read ("HUIQUAN_X=…: why"), reported at start instead of a traceback.
HUIQUAN_SETTING_ERRORS: list[str] = []


def _seconds(name: str, text: str | None) -> float:
    text = text or "0"
    try:
        return max(0.0, float(text))
    except ValueError:
        HUIQUAN_SETTING_ERRORS.append(f"{name}={text!r} 不是秒数（例如 0.2）")
        return 0.0


def _secret_key() -> str:
    key = os.environ.get("HUIQUAN_SECRET_KEY")
    if key:
        return key
    if not SANDBOX:
        return secrets.token_urlsafe(50)  # a stand-in: production refuses to start without one
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _derived(purpose: str) -> str:
    import base64
    import hashlib

    digest = hashlib.sha256(f"{purpose}:{SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


# Resident ID numbers (invariant 7): Fernet keys, newest first (rotation: prepend a new key,
# keep the old ones until re-encrypted); and the HMAC key behind "one ID, one account".
# Production must set both (huiquan.core.startup); demo and sandbox derive them.
HUIQUAN_ID_KEYS = [k for k in os.environ.get("HUIQUAN_ID_KEYS", "").split(",") if k] or (
    [_derived("id-encryption")] if SANDBOX else []
)
HUIQUAN_ID_HASH_KEY = os.environ.get("HUIQUAN_ID_HASH_KEY") or (
    _derived("id-hash") if SANDBOX else ""
)
DEBUG = os.environ.get("HUIQUAN_DEBUG") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("HUIQUAN_ALLOWED_HOSTS", "").split(",") if h] or (
    ["127.0.0.1", "localhost", "testserver"] if SANDBOX else []
)

INSTALLED_APPS = [
    "huiquan.core.apps.HuiquanAdminConfig",  # django.contrib.admin, role-checked
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # /api/docs from its own static files, not a CDN (works offline)
    "django_tasks",
    "django_tasks_db",
    "huiquan.core",
    "huiquan.audit",
    "huiquan.campaigns",
    "huiquan.ledger",
    "huiquan.consumers",
    "huiquan.vouchers",
    "huiquan.catalog",
    "huiquan.merchants",
    "huiquan.redemptions",
    "huiquan.verification",
    "huiquan.settlement",
    "huiquan.integrity",
    "huiquan.staff",
    "huiquan.office",
]

MIDDLEWARE = [
    "huiquan.core.api_edge.ApiEdge",  # /api/: body limit, every answer {code, message}
    "huiquan.core.text_guard.RefuseUnstorableText",  # NUL, lone surrogates: refused, named
    "huiquan.vouchers.middleware.SoldOutShortCut",  # release day: see its docstring
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "huiquan.core.headers.ContentSecurityPolicy",  # on every page (issue 11)
    "huiquan.core.headers.NoStoreWhenSignedIn",  # nothing personal left in a cache (issue 11)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "huiquan.core.middleware.ReadOnlyRoleMiddleware",
    "huiquan.core.middleware.DomainErrorMiddleware",
    "huiquan.core.middleware.MethodNotAllowedPage",  # a blank 405 becomes a Chinese page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huiquan.urls"
WSGI_APPLICATION = "huiquan.wsgi.application"
AUTH_USER_MODEL = "core.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "huiquan" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "huiquan.core.context.shell",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'huiquan.db'}"
# Persistent connections: opening one (and its PRAGMAs, or a PostgreSQL handshake) per request
# would cost more than the request itself.
_TESTING = "pytest" in sys.modules  # tests open and drop databases: no lingering connections
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0 if _TESTING else 600,
                                conn_health_checks=True)
except ValueError:
    HUIQUAN_SETTING_ERRORS.append(f"DATABASE_URL={DATABASE_URL.split('@')[-1]!r} 无法识别：应为 "
                                  "sqlite:////绝对路径.db 或 postgresql://用户:密码@主机:端口/库名")
    _db = dj_database_url.parse(f"sqlite:///{VAR_DIR / 'huiquan.db'}", conn_max_age=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue instead of failing with "database is locked": WAL, a busy timeout and
    # BEGIN IMMEDIATE for every transaction (ARCHITECTURE.md, Stack), and a kernel lock so a
    # waiting writer wakes as soon as the lock is free; checkpoints after COMMIT, outside that
    # lock, SQLite's own only as a backstop (huiquan/core/sqlite/base.py: BACKSTOP_PAGES).
    _db["ENGINE"] = "huiquan.core.sqlite"
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA mmap_size=268435456; PRAGMA wal_autocheckpoint=10000;"
        ),
    }
    # Tests need a file (not :memory:) so real threads share one database.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.db")}
else:
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})
    # Row locks wait at most 5 s (huiquan.core.locks.LOCK_TIMEOUT_MS), set once per connection
    # instead of a SET LOCAL round trip before every locking statement (issue 15: four per sale).
    _db["OPTIONS"].setdefault("options", "-c lock_timeout=5000")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# One machine: a local-memory cache per process. Many machines: Redis, shared.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
         "KEY_PREFIX": "huiquan"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- auth and sessions ------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/office/login/"
LOGIN_REDIRECT_URL = "/office/"
AXES_FAILURE_LIMIT = 5  # lockout after five wrong passwords …
AXES_COOLOFF_TIME = 0.25  # … for 15 minutes (hours)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "office/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The lock-out counts per real client address, not per proxy (huiquan/core/client_ip.py).
AXES_CLIENT_IP_CALLABLE = "huiquan.core.client_ip.client_ip"
AXES_USERNAME_CALLABLE = "huiquan.core.client_ip.login_username"


def _trusted_proxies() -> list[str]:
    """HUIQUAN_TRUSTED_PROXIES: comma-separated addresses or CIDR networks of the reverse
    proxies whose X-Forwarded-For is believed (none by default: the header is ignored)."""
    import ipaddress

    entries = [e.strip() for e in os.environ.get("HUIQUAN_TRUSTED_PROXIES", "").split(",")
               if e.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            # One line at start (huiquan.core.startup), not a traceback; no proxy is believed.
            HUIQUAN_SETTING_ERRORS.append(
                f"HUIQUAN_TRUSTED_PROXIES={entry!r} 不是 IP 地址或 CIDR 网段（例如 "
                "127.0.0.1,10.0.0.0/8）")
            return []
    return entries


HUIQUAN_TRUSTED_PROXIES = _trusted_proxies()

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "huiquan.core.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not SANDBOX:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("HUIQUAN_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

# Content-Security-Policy (django-csp, huiquan.core.headers): everything from this site, nothing
# inline; data: images for the API docs' icons; no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- language, time -----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
DOCUMENTS_DIR = Path(os.environ.get("HUIQUAN_MEDIA_DIR", VAR_DIR / "media")) / "documents"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Claim documents (huiquan.verification): outside the web root, served only through views
    # that check the role and the object (invariant 7).
    "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                  "OPTIONS": {"location": str(DOCUMENTS_DIR),
                              "base_url": "/documents-not-public/"}},
}
# In deployment the claim documents may live in S3-compatible object storage (MinIO, Aliyun OSS,
# Tencent COS...) through django-storages: private objects, never overwritten, read back only by
# the same views (docs/deploy.md). Without a bucket they stay on the local disk above.
if _bucket := os.environ.get("HUIQUAN_DOCUMENTS_S3_BUCKET"):
    STORAGES["documents"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": _bucket,
        "endpoint_url": os.environ.get("HUIQUAN_DOCUMENTS_S3_ENDPOINT") or None,
        "region_name": os.environ.get("HUIQUAN_DOCUMENTS_S3_REGION") or None,
        "access_key": os.environ.get("HUIQUAN_DOCUMENTS_S3_ACCESS_KEY") or None,
        "secret_key": os.environ.get("HUIQUAN_DOCUMENTS_S3_SECRET_KEY") or None,
        "location": "documents", "default_acl": "private", "querystring_auth": True,
        "file_overwrite": False}}
if os.environ.get("HUIQUAN_TESTING") == "1" or _TESTING:
    STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }

# Every handler masks ID and phone numbers (huiquan/core/logmask.py; handlers made elsewhere get
# the same filter at start-up). A new handler here must list "personal_data" too (tested).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "huiquan.core.logmask.MaskPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("HUIQUAN_LOG_LEVEL", "WARNING")},
    # A refused claim (409) is an answer, not a problem: don't write a log line per 4xx.
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Where the campaign shipped with the product lives; `huiquan serve` loads it when empty.
HUIQUAN_DEFAULT_CAMPAIGN = BASE_DIR / "campaigns" / "xixian-2024-home.toml"
HUIQUAN_AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("HUIQUAN_AUDIT_CHECKPOINT_FILE", VAR_DIR / "audit-checkpoints.log")
)
# Outside systems behind interfaces: the sandbox implementations in demo and sandbox mode;
# production must name its own (classes with ``sandbox = False``; huiquan.core.startup).
HUIQUAN_SMS_PROVIDER = os.environ.get("HUIQUAN_SMS_PROVIDER") or (
    "huiquan.consumers.sms.SandboxSmsProvider" if SANDBOX else "")
HUIQUAN_SANDBOX_SMS_DELAY = _seconds("HUIQUAN_SANDBOX_SMS_DELAY",
                                     os.environ.get("HUIQUAN_SANDBOX_SMS_DELAY"))
HUIQUAN_PAYMENT_PROVIDER = os.environ.get("HUIQUAN_PAYMENT_PROVIDER") or (
    "huiquan.redemptions.payments.SandboxPaymentProvider" if SANDBOX else "")
HUIQUAN_SANDBOX_PAY_DELAY = _seconds("HUIQUAN_SANDBOX_PAY_DELAY",
                                     os.environ.get("HUIQUAN_SANDBOX_PAY_DELAY"))
# Uploaded documents (licences): served only through views that check role and object.
MEDIA_ROOT = Path(os.environ.get("HUIQUAN_MEDIA_DIR", VAR_DIR / "media"))
MEDIA_URL = "/media-not-public/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
HUIQUAN_GEOFENCE_DIR = os.environ.get("HUIQUAN_GEOFENCE_DIR", "")

# Background tasks (django-tasks, database backend): `huiquan worker` runs them, and enqueues
# tick once a minute whatever the number of workers (huiquan/worker.py: the task's id is the
# minute's).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
        "OPTIONS": {"id_function": "huiquan.worker.task_id"},
    }
}

# Test-only switch: turns off the database guards so race tests can show the race they catch.
HUIQUAN_UNSAFE_DISABLE_GUARDS = False
# A refusal page (core.middleware) for paths under a surface that has its own; else core's.
HUIQUAN_ERROR_PAGES = [("/office/", "office/error.html")]
