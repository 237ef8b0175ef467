"""Roster settings, read from the environment with safe defaults for local use.

Every knob an operator turns is an environment variable (see README): the app is stateless, so
all processes of one deployment must see the same database and cache.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable; anything but a clear yes/no is a start-up error."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    """Read a whole-number environment variable; anything else is a start-up error."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value: int | None = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}, "
                                   f"not {raw!r}.")
    return value


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-local-development-only-never-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DEBUG is off: refusing to start with a "
            "publicly known secret key."
        )
    SECRET_KEY = _DEV_SECRET_KEY

BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_base_host = BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", f"{_base_host},localhost,127.0.0.1").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [BASE_URL]
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# Production over HTTPS (DEBUG off, an https:// BASE_URL) gets Django's secure defaults; each
# is an environment variable of the same name (README, *Production*). Behind a TLS-terminating
# proxy set BEHIND_TLS_PROXY, or the HTTPS redirect would loop.
_SECURE = not DEBUG and BASE_URL.startswith("https://")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _SECURE)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _SECURE else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _SECURE)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _SECURE)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _SECURE)

INSTALLED_APPS = [
    "orgs.admin_site.RosterAdminConfig",  # django.contrib.admin with RosterAdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by Roster itself (no CDN)
    "django_scim",
    "django_tasks",
    "django_tasks_db",
    "orgs",
    "scim",
    "sso",
    "api",  # the REST management API at /api/v1/
    "console",  # composes the organization admin with the SSO page (sso's and scim's tabs)
    "jobs",
]

MIDDLEWARE = [
    "config.request_context.RequestIdMiddleware",
    "config.health.HealthCheckMiddleware",  # before the host check and the HTTPS redirect
    # Any error Django or a middleware below answers under /scim/v2 becomes a SCIM body.
    "scim.middleware.ScimErrorMiddleware",
    "api.middleware.ApiErrorMiddleware",  # the same for /api/: the API's JSON error
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The benchmark's floor view and per-response query counts (config/bench.py, `make bench`).
# Never on by default, never in production.
BENCH_FLOOR = env_bool("BENCH_FLOOR", False)
if BENCH_FLOOR:
    MIDDLEWARE.insert(0, "config.bench.QueryCountMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_DEFAULT_SQLITE = BASE_DIR / "db" / "roster.sqlite3"
if not os.environ.get("DATABASE_URL"):
    _DEFAULT_SQLITE.parent.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{_DEFAULT_SQLITE}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DB_PREPARED_STATEMENTS", True
):
    # Parameters bound by the server, and a statement a connection runs a fifth time kept
    # prepared (psycopg's prepare_threshold): PostgreSQL then stops planning the queries
    # every SCIM request repeats, most of what it spends on them (the token's lookup: 0.34 ms
    # of the server's CPU planned, 0.08 ms prepared). Off (DB_PREPARED_STATEMENTS=false)
    # behind a connection pooler in transaction mode that cannot carry prepared statements.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL: readers and the job worker do not block on a writer, and a commit appends to the log
    # without a disk sync of its own (synchronous=NORMAL): a power cut can lose the last
    # commits, never corrupt the file. Without it every commit (e.g. each SCIM request log row)
    # waits for the disk. IMMEDIATE: a transaction takes the write lock when it begins, waiting
    # up to ``timeout`` for another writer. A deferred one that read first and then wrote while
    # another process (the job worker, gunicorn's other worker) had committed in between failed
    # at once with "database is locked" (SQLite cannot wait there): seen in an admin's add
    # beside `make serve`.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0


def cache_settings(url: str) -> dict[str, dict[str, str]]:
    """CACHES for a ``CACHE_URL``. The cache serves throttles and speed only: it may evict any
    key, so no security decision depends on it (SAML's one-time state is in the database)."""
    if url.startswith(("redis://", "rediss://")):
        # Django's Redis backend with a one-round-trip counter for the rate limits.
        return {"default": {"BACKEND": "config.cache.RedisCache",
                            "LOCATION": url,
                            # Short socket timeouts: an unreachable Redis fails a request
                            # (and /healthz) fast.
                            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    if url.startswith("locmem://"):
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if url in ("", "db://"):
        return {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                            "LOCATION": "roster_cache"}}
    raise ImproperlyConfigured(
        f"CACHE_URL {url!r} is not supported: use redis://..., db:// or locmem://."
    )


CACHES = cache_settings(os.environ.get("CACHE_URL", ""))

AUTH_USER_MODEL = "orgs.User"
# User.email is unique case-insensitively through a functional constraint on Lower("email"),
# which the auth check cannot see; the login lookup is case-insensitive too.
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]  # W004: the same, with our auth backend
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
# Password logins refuse members of orgs that enforce SAML SSO (superusers keep break-glass).
AUTHENTICATION_BACKENDS = ["sso.backends.SsoEnforcingModelBackend"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format with the time zone shown, everywhere (config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

# Static files: whitenoise serves them from STATIC_ROOT (filled by `collectstatic`), with
# hashed names and compressed copies when DEBUG is off; runserver serves them in development.
STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                    if DEBUG else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Email: console by default so `make run` shows invitations; SMTP when EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Roster <no-reply@roster.local>")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)  # a hung SMTP server must not hang a job
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The REST management API (api/, /api/v1/). API_RATE_LIMIT is each API key's budget in DRF's
# "N/period" form (period: second, minute, hour or day; empty: no limit), counted in the
# shared cache. The audit feed lists a row once it is API_FEED_SETTLE_SECONDS old, so a SIEM
# polling with `since` never skips a row whose transaction committed late.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/minute").strip()
if API_RATE_LIMIT and not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)",
                                       API_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"API_RATE_LIMIT must look like 600/minute (or be empty), not {API_RATE_LIMIT!r}."
    )
API_FEED_SETTLE_SECONDS = env_int("API_FEED_SETTLE_SECONDS", 5, minimum=0)
SPECTACULAR_SETTINGS = {
    "TITLE": "Roster management API",
    "DESCRIPTION": (
        "Automate what the Roster admin does: organizations, members, groups, SCIM tokens, the "
        "SAML connection and the audit log. Authenticate with a personal API key "
        "(`Authorization: Bearer rst_api_…`) created on the admin's API keys page; a key can do "
        "what its owner can do in the admin, in the organizations its owner administers. "
        "Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["api.schema.only_api_endpoints"],
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": False,  # a PATCH body's required fields are the serializer's
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums", "api.schema.finish_document",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "orgs.models.Role",
        "MembershipStatusEnum": "orgs.models.MembershipStatus",
        "CredentialStatusEnum": ["active", "expired", "revoked"],
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl: Swagger UI would otherwise load a badge from swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Logs: one JSON object per line on stderr in production (LOG_FORMAT=json, the default when
# DEBUG is off), readable text in development; both carry the request id (config/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = logging_config(fmt=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO").upper())

# Background jobs: Django's Tasks API (the django-tasks backport) on its database backend, so
# jobs work on the embedded SQLite and on PostgreSQL alike; `manage.py jobs` works them off.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
JOBS_RETRY_BASE_SECONDS = env_int("JOBS_RETRY_BASE_SECONDS", 30)
JOBS_RETRY_MAX_SECONDS = env_int("JOBS_RETRY_MAX_SECONDS", 3600)
# 12 attempts at 30 s, 1, 2, 4 ... min, capped at 1 h: about 5 h of SMTP outage.
INVITATION_MAX_ATTEMPTS = env_int("INVITATION_MAX_ATTEMPTS", 12)
JOBS_PERIODIC_MAX_ATTEMPTS = env_int("JOBS_PERIODIC_MAX_ATTEMPTS", 4)
# /healthz answers 503 when the oldest task ready to run has waited longer than this.
JOBS_MAX_LAG_SECONDS = env_int("JOBS_MAX_LAG_SECONDS", 300)
# Finished task results are kept this long (the daily job jobs.prune_task_results).
JOBS_RESULT_RETENTION_DAYS = env_int("JOBS_RESULT_RETENTION_DAYS", 30)
SCIM_TOKEN_EXPIRY_NOTICE_DAYS = env_int("SCIM_TOKEN_EXPIRY_NOTICE_DAYS", 14)
# The SCIM request log keeps each request this long (the hourly job scim.request_log_prune).
SCIM_REQUEST_LOG_RETENTION_DAYS = env_int("SCIM_REQUEST_LOG_RETENTION_DAYS", 30)

# SCIM 2.0 at BASE_URL + SCIM_PATH, on DRF (scim.http). django-scim2 supplies the adapter
# contract (USER_ADAPTER and GROUP_ADAPTER are read through django_scim.utils) and the RFC
# meta-schemas. SCIM_MAX_RESULTS is the advertised filter.maxResults and a page's cap.
SCIM_PATH = "/scim/v2"
SCIM_MAX_RESULTS = 100
SCIM_SERVICE_PROVIDER = {
    "USER_ADAPTER": "scim.adapters.ScimUser",
    "GROUP_ADAPTER": "scim.adapters.ScimGroup",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a SCIM token created on the SSO page.",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": True,
        },
    ],
}

# SAML sign-in (sso/). Login starts are counted per client address and per organization in
# fixed windows of SAML_LOGIN_RATE_WINDOW seconds (in the cache: an evicted counter only makes
# the limit lenient). Each start keeps a pending AuthnRequest in the database for
# SAML_PENDING_REQUEST_TTL seconds, at most SAML_MAX_PENDING_REQUESTS_PER_ORG per organization
# (the oldest go first).
SAML_LOGIN_RATE_WINDOW = env_int("SAML_LOGIN_RATE_WINDOW", 60)
SAML_LOGIN_RATE_PER_ADDRESS = env_int("SAML_LOGIN_RATE_PER_ADDRESS", 60)
SAML_LOGIN_RATE_PER_ORG = env_int("SAML_LOGIN_RATE_PER_ORG", 600)
SAML_PENDING_REQUEST_TTL = env_int("SAML_PENDING_REQUEST_TTL", 600)
SAML_MAX_PENDING_REQUESTS_PER_ORG = env_int("SAML_MAX_PENDING_REQUESTS_PER_ORG", 1000)
