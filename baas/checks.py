"""What the CLI checks and prepares before a command runs.

Each failure is a ``StartupError`` whose message names the setting to fix and says
what failed, in one line: the CLI prints it instead of a traceback.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

# Any fixed 64-bit number; every `baas` process that migrates takes this lock.
MIGRATION_LOCK_ID = 0x6261617300000001
CONNECT_TIMEOUT = 3


class StartupError(Exception):
    """A service or setting needed by the command is not usable; names which."""


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def check_listen(host: str, port: int) -> None:
    """Fail early, with a clear line, when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise StartupError(
                f"--http {host}:{port}: cannot listen there: {exc.strerror or exc}"
            ) from None


def check_database() -> None:
    from django.db import Error, connection

    try:
        connection.ensure_connection()
    except Error as exc:
        url = settings.CONFIG.database_url
        if url:
            raise StartupError(
                f"DATABASE_URL: cannot connect to {redact(url)}: {one_line(exc)}"
            ) from None
        where = settings.DATABASES["default"]["NAME"]
        raise StartupError(f"BAAS_DIR: cannot open the database {where}: {one_line(exc)}") from None


def check_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        raise StartupError(f"REDIS_URL: cannot reach {redact(url)}: {one_line(exc)}") from None
    finally:
        client.close()


def apply_migrations() -> list[str]:
    """Apply pending migrations; returns the names applied, in order."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    with _migration_lock():
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            call_command("migrate", interactive=False, verbosity=0)
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


@contextmanager
def _migration_lock() -> Iterator[None]:
    """On PostgreSQL, several servers starting at once migrate one after another."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_ID])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_ID])
