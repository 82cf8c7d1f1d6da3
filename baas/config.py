"""The one place that reads the environment (STYLE §6).

Everything else reads ``django.conf.settings``. Values come from environment
variables, with a ``.env`` file honoured (in the working directory, then in the
data directory). Errors name the variable and say what to do next.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import environ

WEAK_SECRETS = {"secret", "changeme", "change-me", "password", "django-insecure", "baas"}
MIN_SECRET_LENGTH = 32


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable."""


@dataclass(frozen=True)
class S3Config:
    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    region: str


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    tls: bool


@dataclass(frozen=True)
class WebhookConfig:
    """Delivery policy of baas.webhooks (BAAS_WEBHOOK_*)."""

    backoff: float = 10.0  # seconds after the first failure; doubles each time
    backoff_max: float = 3600.0
    max_attempts: int = 8
    timeout: float = 10.0  # per attempt


@dataclass(frozen=True)
class PushConfig:
    """Push credentials of baas.push (BAAS_FCM_*, BAAS_APNS_*); empty = that service off."""

    fcm_project_id: str = ""
    fcm_credentials: str = ""  # the service account JSON (its text, or a file path)
    fcm_endpoint: str = "https://fcm.googleapis.com"
    apns_key_id: str = ""
    apns_team_id: str = ""
    apns_key: str = ""  # the .p8 signing key (PEM text, or a file path)
    apns_topic: str = ""  # the app's bundle id
    apns_endpoint: str = "https://api.push.apple.com"
    apns_ca_file: str = ""  # a CA bundle to trust instead of the system's (tests)
    max_attempts: int = 5  # per device, for transient failures (network, 429, 5xx)
    backoff: float = 5.0  # seconds after the first failure; doubles each time


@dataclass(frozen=True)
class Config:
    data_dir: Path
    debug: bool
    secret_key: str
    database_url: str | None
    redis_url: str | None
    s3: S3Config | None
    allowed_hosts: list[str]
    hooks_dir: Path | None
    # Auth emails (baas.auth): no SMTP host means the console backend.
    smtp: SmtpConfig | None = None
    sender: str = "noreply@example.com"
    # Log lines: "text" (default) or "json", one object per line (baas.backups.jsonlog).
    log_format: str = "text"
    # baas.webhooks delivery policy and baas.push credentials.
    webhooks: WebhookConfig = WebhookConfig()
    push: PushConfig = PushConfig()
    # GET records past Django's URL resolver and no-op middlewares (baas.collections.api.fast).
    fast_path: bool = True

    @property
    def production(self) -> bool:
        """Production mode: any external service configured (DESIGN §7)."""
        return bool(self.database_url or self.redis_url or self.s3)


def _env() -> environ.Env:
    env = environ.Env()
    for candidate in (Path.cwd() / ".env", Path(os.environ.get("BAAS_DIR", "baas_data")) / ".env"):
        if candidate.is_file():
            env.read_env(str(candidate), overwrite=False)
    return env


def _check_database_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ConfigError(
            f"DATABASE_URL: unsupported scheme {parsed.scheme!r}; "
            "use postgresql://user@host:5432/dbname (or unset it for embedded SQLite)."
        )
    if parsed.scheme != "sqlite" and not parsed.path.strip("/"):
        raise ConfigError("DATABASE_URL: no database name; use postgresql://user@host:5432/dbname.")
    try:
        parsed.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError(
            "DATABASE_URL: the port is not a number; use postgresql://user@host:5432/dbname."
        ) from None
    return url


def _check_redis_url(url: str) -> str:
    if urlparse(url).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError("REDIS_URL: expected redis://host:6379/0.")
    return url


def _read_s3(env: environ.Env) -> S3Config | None:
    names = ["ENDPOINT", "BUCKET", "ACCESS_KEY", "SECRET_KEY", "REGION"]
    values = {name: env.str(f"BAAS_S3_{name}", default="") for name in names}
    if not any(values[n] for n in names if n != "REGION"):
        return None
    missing = [f"BAAS_S3_{n}" for n in names[:4] if not values[n]]
    if missing:
        raise ConfigError(f"{', '.join(missing)}: required when S3 storage is configured.")
    return S3Config(
        endpoint=values["ENDPOINT"],
        bucket=values["BUCKET"],
        access_key=values["ACCESS_KEY"],
        secret_key=values["SECRET_KEY"],
        region=values["REGION"] or "us-east-1",
    )


def _read_smtp(env: environ.Env) -> SmtpConfig | None:
    host = env.str("BAAS_SMTP_HOST", default="")
    if not host:
        return None
    try:
        port = env.int("BAAS_SMTP_PORT", default=587)
    except ValueError:
        raise ConfigError("BAAS_SMTP_PORT: expected a port number, e.g. 587.") from None
    return SmtpConfig(
        host=host,
        port=port,
        username=env.str("BAAS_SMTP_USERNAME", default=""),
        password=env.str("BAAS_SMTP_PASSWORD", default=""),
        tls=env.bool("BAAS_SMTP_TLS", default=port != 25),
    )


def _read_webhooks(env: environ.Env) -> WebhookConfig:
    try:
        return WebhookConfig(
            backoff=env.float("BAAS_WEBHOOK_BACKOFF", default=10.0),
            backoff_max=env.float("BAAS_WEBHOOK_BACKOFF_MAX", default=3600.0),
            max_attempts=env.int("BAAS_WEBHOOK_MAX_ATTEMPTS", default=8),
            timeout=env.float("BAAS_WEBHOOK_TIMEOUT", default=10.0),
        )
    except ValueError:
        raise ConfigError(
            "BAAS_WEBHOOK_BACKOFF, _BACKOFF_MAX, _TIMEOUT (seconds) and _MAX_ATTEMPTS: "
            "expected numbers."
        ) from None


def _text_or_file(value: str) -> str:
    """A credential given inline or as the path of a file holding it."""
    if value and not value.lstrip().startswith(("{", "-----")) and Path(value).is_file():
        return Path(value).read_text()
    return value


def _number(env: environ.Env, name: str, default: float) -> Any:
    try:
        value = env.float(name, default=default)
    except ValueError:
        raise ConfigError(f"{name}: expected a number.") from None
    return int(value) if isinstance(default, int) else value


def _read_push(env: environ.Env) -> PushConfig:
    push = PushConfig(
        fcm_project_id=env.str("BAAS_FCM_PROJECT_ID", default=""),
        fcm_credentials=_text_or_file(env.str("BAAS_FCM_CREDENTIALS", default="")),
        fcm_endpoint=env.str("BAAS_FCM_ENDPOINT", default=PushConfig.fcm_endpoint),
        apns_key_id=env.str("BAAS_APNS_KEY_ID", default=""),
        apns_team_id=env.str("BAAS_APNS_TEAM_ID", default=""),
        apns_key=_text_or_file(env.str("BAAS_APNS_KEY", default="")),
        apns_topic=env.str("BAAS_APNS_TOPIC", default=""),
        apns_endpoint=env.str("BAAS_APNS_ENDPOINT", default=PushConfig.apns_endpoint),
        apns_ca_file=env.str("BAAS_APNS_CA_FILE", default=""),
        max_attempts=_number(env, "BAAS_PUSH_MAX_ATTEMPTS", 5),
        backoff=_number(env, "BAAS_PUSH_BACKOFF", 5.0),
    )
    if bool(push.fcm_project_id) != bool(push.fcm_credentials):
        raise ConfigError("BAAS_FCM_PROJECT_ID and BAAS_FCM_CREDENTIALS: set both or neither.")
    apns = [push.apns_key_id, push.apns_team_id, push.apns_key, push.apns_topic]
    if any(apns) and not all(apns):
        raise ConfigError(
            "BAAS_APNS_KEY_ID, BAAS_APNS_TEAM_ID, BAAS_APNS_KEY and BAAS_APNS_TOPIC: "
            "set all four or none."
        )
    return push


def _check_data_dir(data_dir: Path) -> Path:
    """The data directory must exist (it is created) and be writable."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"BAAS_DIR (--dir): cannot create {data_dir}: {exc.strerror or exc}."
        ) from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise ConfigError(f"BAAS_DIR (--dir): {data_dir} is not writable.")
    return data_dir


def _embedded_secret(data_dir: Path) -> str:
    """Embedded mode keeps a generated secret in the data dir, readable by its owner only."""
    path = data_dir / ".secret_key"
    if path.is_file():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def _check_secret(value: str) -> str:
    if len(value) < MIN_SECRET_LENGTH or value.lower() in WEAK_SECRETS or len(set(value)) < 8:
        raise ConfigError(
            f"BAAS_SECRET_KEY: too weak (need at least {MIN_SECRET_LENGTH} random characters). "
            'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    return value


def load() -> Config:
    env = _env()
    data_dir = Path(env.str("BAAS_DIR", default="baas_data")).resolve()
    debug = env.bool("BAAS_DEBUG", default=False)
    database_url = env.str("DATABASE_URL", default="") or None
    redis_url = env.str("REDIS_URL", default="") or None
    if database_url:
        _check_database_url(database_url)
    if redis_url:
        _check_redis_url(redis_url)
    s3 = _read_s3(env)
    if not database_url or not s3:  # the SQLite file or the uploads live there
        _check_data_dir(data_dir)
    secret = env.str("BAAS_SECRET_KEY", default="")
    production = bool(database_url or redis_url or s3)
    if secret:
        if not debug:
            _check_secret(secret)
    elif production and not debug:
        raise ConfigError(
            "BAAS_SECRET_KEY: required in production mode (DATABASE_URL, REDIS_URL or S3 set). "
            'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    else:
        secret = _embedded_secret(data_dir)
    log_format = env.str("BAAS_LOG_FORMAT", default="text").strip().lower() or "text"
    if log_format not in ("text", "json"):
        raise ConfigError("BAAS_LOG_FORMAT: expected text or json.")
    hooks = env.str("BAAS_HOOKS_DIR", default="")
    return Config(
        data_dir=data_dir,
        debug=debug,
        secret_key=secret,
        database_url=database_url,
        redis_url=redis_url,
        s3=s3,
        allowed_hosts=env.list("BAAS_ALLOWED_HOSTS", default=["*"]),
        hooks_dir=Path(hooks).resolve() if hooks else data_dir / "hooks",
        smtp=_read_smtp(env),
        sender=env.str("BAAS_SMTP_SENDER", default="noreply@example.com"),
        log_format=log_format,
        webhooks=_read_webhooks(env),
        push=_read_push(env),
        fast_path=env.bool("BAAS_FAST_PATH", default=True),
    )
