"""Django settings, built from ``baas.config`` (the only reader of the environment)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import environ

from baas import config as baas_config

try:
    CONFIG = baas_config.load()
except baas_config.ConfigError as exc:  # a clear line, never a traceback
    sys.stderr.write(f"baas: configuration error: {exc}\n")
    raise SystemExit(2) from None

BASE_DIR = CONFIG.data_dir
DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = CONFIG.allowed_hosts
BAAS_PRODUCTION = CONFIG.production
BAAS_DATA_DIR = CONFIG.data_dir
BAAS_REDIS_URL = CONFIG.redis_url
BAAS_WEBHOOKS = CONFIG.webhooks  # baas.webhooks delivery policy
BAAS_PUSH = CONFIG.push  # baas.push credentials (FCM, APNs)
BAAS_HOOKS_DIR = CONFIG.hooks_dir
# GET records without Django's URL resolver and no-op middlewares (baas.collections.api.fast)
BAAS_FAST_PATH = CONFIG.fast_path

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "baas.collections",
    "baas.auth",
    "baas.storage",
    "baas.realtime",
    "baas.settings_api",
    "baas.logs",
    "baas.backups",
    "baas.graphql",  # /api/graphql (docs/graphql.md)
    "baas.openapi",
    "baas.webhooks",
    "baas.push",
    "baas.hooks",
    "baas.jobs",
    "baas.admin_ui",
    # OAuth2 providers and MFA building blocks for baas.auth (DESIGN §2).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.mfa",
    "allauth.socialaccount.providers.apple",
    "allauth.socialaccount.providers.discord",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.gitlab",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.microsoft",
    "allauth.socialaccount.providers.openid_connect",
]

MIDDLEWARE = [
    "baas.backups.middleware.RestoreGuard",  # 503 while a backup is restored (before any query)
    "baas.logs.middleware.RequestLogMiddleware",  # first: times the whole request
    "baas.api.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "baas.api.middleware.CorsMiddleware",
    # sessions, messages: skipped on the records API, files and health (api.middleware)
    "baas.api.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "baas.auth.middleware.AuthMiddleware",
    "baas.hooks.middleware.HooksMiddleware",  # after auth: hooks see the caller
    "baas.api.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",  # allauth's apps refuse to load without it
]

ROOT_URLCONF = "baas.urls"
WSGI_APPLICATION = "baas.wsgi.application"
ASGI_APPLICATION = "baas.asgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def _sqlite(name: str) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        # One connection per thread, kept across requests (opening one runs the PRAGMAs
        # and registers Django's SQL functions: most of a cheap request's CPU).
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # WAL lets readers run beside the writer; IMMEDIATE takes the write
            # lock at BEGIN so concurrent writers wait instead of failing.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 10,
        },
    }


def _databases() -> dict:
    if not CONFIG.database_url:
        CONFIG.data_dir.mkdir(parents=True, exist_ok=True)
        return {"default": _sqlite(str(CONFIG.data_dir / "data.db"))}
    db = environ.Env.db_url_config(CONFIG.database_url)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return {"default": _sqlite(db["NAME"])}
    if db["ENGINE"] == "django.db.backends.postgresql":
        db["ENGINE"] = "baas.db.postgresql"  # no health-check round trip on a busy connection
    db["CONN_MAX_AGE"] = 600
    db["CONN_HEALTH_CHECKS"] = True
    db.setdefault("OPTIONS", {})["connect_timeout"] = 5
    return {"default": db}


DATABASES = _databases()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # DRF's compat module imports django.contrib.postgres.fields whenever it can, and
    # with it psycopg and libpq: 9-10 MB in every SQLite-mode process for model fields
    # no SQLite model has (bench/PROFILE.md, memory). None in sys.modules makes that
    # import fail, which DRF handles (postgres_fields = None).
    sys.modules.setdefault("django.contrib.postgres.fields", None)  # type: ignore[arg-type]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES: dict[str, dict[str, object]]
if CONFIG.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONFIG.redis_url,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": CONFIG.redis_url, "max_connections": 2000}]},
        }
    }
else:
    # Embedded: every worker process of this data directory shares one cache (passkey
    # ceremonies, rate-limit counters); a per-process cache split them between workers.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(CONFIG.data_dir / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = CONFIG.redis_url or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not CONFIG.redis_url  # embedded: background tasks run in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True

if CONFIG.s3:
    from baas.storage.s3 import client_config as _s3_client_config

    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "endpoint_url": CONFIG.s3.endpoint,
                "bucket_name": CONFIG.s3.bucket,
                "access_key": CONFIG.s3.access_key,
                "secret_key": CONFIG.s3.secret_key,
                "region_name": CONFIG.s3.region,
                "signature_version": "s3v4",
                "addressing_style": "path",
                "file_overwrite": False,
                "default_acl": None,
                "querystring_expire": 300,
                # baas.storage: timeouts and retries (an unreachable S3 is a quick 503).
                "client_config": _s3_client_config(),
            },
        },
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }
else:
    STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(CONFIG.data_dir / "storage")},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

# Files (baas.storage): S3 downloads may redirect to a presigned URL instead of being
# proxied; the periodic sweep leaves files younger than the grace period alone.
BAAS_FILES_PRESIGNED_REDIRECT = False
BAAS_FILES_PRESIGNED_EXPIRE = 60
BAAS_STORAGE_SWEEP_GRACE = 3600
CELERY_BEAT_SCHEDULE = {
    "baas.storage.sweep_orphans": {"task": "baas.storage.sweep_orphans", "schedule": 3600.0},
    # baas.backups: starts the cron jobs due this minute (scheduled backups, logs cleanup).
    "baas.backups.tick": {"task": "baas.backups.tick", "schedule": 30.0},
    "baas.webhooks.resume": {"task": "baas.webhooks.resume", "schedule": 60.0},  # baas.webhooks
    "baas.push.resume": {"task": "baas.push.resume", "schedule": 60.0},  # baas.push
    "baas.jobs.tick": {"task": "baas.jobs.tick", "schedule": 15.0},  # scheduled jobs (baas.jobs)
}
# Backups (baas.backups): archives, unless backups.s3 is enabled; also its lock and temp files.
BAAS_BACKUPS_DIR = CONFIG.data_dir / "backups"

STATIC_URL = "/_/static/"
STATIC_ROOT = str(CONFIG.data_dir / ".static")
with contextlib.suppress(OSError):  # WhiteNoise warns about a missing STATIC_ROOT on every start
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False

# Request bodies: files stream to temporary files past 2.5 MB (bounded memory);
# the record API applies its own per-field limits.
DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["baas.api.renderers.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "baas.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "baas.api.errors.exception_handler",
}

# Auth emails (baas.auth.mail); SMTP from BAAS_SMTP_*, else the console (embedded default).
if CONFIG.smtp:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG.smtp.host
    EMAIL_PORT = CONFIG.smtp.port
    EMAIL_HOST_USER = CONFIG.smtp.username
    EMAIL_HOST_PASSWORD = CONFIG.smtp.password
    EMAIL_USE_TLS = CONFIG.smtp.tls and CONFIG.smtp.port != 465
    EMAIL_USE_SSL = CONFIG.smtp.tls and CONFIG.smtp.port == 465
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = CONFIG.sender
# allauth is used only for its provider classes (baas.auth.oauth2): apps come per collection.
SOCIALACCOUNT_ADAPTER = "baas.auth.oauth2.adapter.CollectionAppsAdapter"
SOCIALACCOUNT_QUERY_EMAIL = True
MFA_TOTP_TOLERANCE = 1  # one 30 s step of clock drift either way (baas.auth.second_factor)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "baas": {"level": "INFO", "propagate": True},
        # 4xx answers are the API working as specified; only 5xx are worth a log line.
        "django.request": {"level": "ERROR", "propagate": True},
    },
}
if CONFIG.log_format == "json":  # BAAS_LOG_FORMAT=json: one JSON object per line (baas.backups)
    LOGGING["formatters"] = {"json": {"()": "baas.backups.jsonlog.JsonFormatter"}}
    LOGGING["handlers"] = {"console": {"class": "logging.StreamHandler", "formatter": "json"}}
