"""What ``GET /api/health`` tells a superuser beyond the contract (wire-api §7.2).

``canBackup`` is the contract's key (false while a backup or restore runs); the others
are ours, each ``{"status": "ok" | "unavailable" | "unused", ...}``: the database, Redis
(``unused`` when embedded) and the file storage. Each probe is bounded by a short
timeout, so a dead service makes the answer slower by at most ``TIMEOUT`` seconds, and
a failing probe never turns the health answer into an error.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings

from baas.backups.state import active_key

log = logging.getLogger("baas.backups")

TIMEOUT = 2.0
OK, UNAVAILABLE, UNUSED = "ok", "unavailable", "unused"


def superuser_details() -> dict[str, Any]:
    return {
        "canBackup": active_key() is None,
        "database": _timed(database),
        "redis": _timed(redis) if settings.BAAS_REDIS_URL else {"status": UNUSED},
        "storage": _timed(storage),
    }


def _timed(probe: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        details = probe()
        details.setdefault("status", OK)
    except Exception as exc:
        log.warning("health probe %s failed: %s", probe.__name__, exc)
        details = {"status": UNAVAILABLE}
    details["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return details


def database() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def redis() -> dict[str, Any]:
    import redis as redis_client

    url: str = settings.BAAS_REDIS_URL or ""  # callers probe only when REDIS_URL is set
    client = redis_client.Redis.from_url(
        url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()
    return {}


def storage() -> dict[str, Any]:
    from baas.storage.backends import FileSystemAdapter, S3Adapter, adapter

    target = adapter()
    if isinstance(target, FileSystemAdapter):
        import os
        from pathlib import Path

        root = Path(target.storage.location)
        if root.exists() and not os.access(root, os.W_OK | os.X_OK):
            return {"status": UNAVAILABLE, "backend": "local"}
        return {"backend": "local"}
    if isinstance(target, S3Adapter):
        _head_bucket(target)
        return {"backend": "s3"}
    target.listdir("")
    return {"backend": type(target.storage).__name__}


def _head_bucket(target: Any) -> None:
    """One HEAD with short timeouts and no retries (the storage's client retries for long)."""
    import boto3
    from botocore.config import Config

    storage = target.storage
    client = boto3.client(
        "s3",
        endpoint_url=storage.endpoint_url,
        aws_access_key_id=storage.access_key,
        aws_secret_access_key=storage.secret_key,
        region_name=storage.region_name,
        config=Config(
            connect_timeout=TIMEOUT,
            read_timeout=TIMEOUT,
            retries={"max_attempts": 1},
            s3={"addressing_style": "path"},
        ),
    )
    client.head_bucket(Bucket=storage.bucket_name)
