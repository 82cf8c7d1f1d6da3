"""Observability: what ``/api/health`` tells superusers, and structured (JSON) logs."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest
from django.test import override_settings

from baas.backups.jsonlog import JsonFormatter
from tests import services

CONTRACT = {"canBackup", "realIP", "possibleProxyHeader"}


def test_guests_get_the_contract_body_only(api: Any) -> None:
    assert api.get("/api/health").json() == {"code": 200, "message": "API is healthy.", "data": {}}


def test_superusers_see_database_redis_and_storage(api: Any, cast: Any) -> None:
    from django.db import connection

    data = api.get("/api/health", token=cast.superuser).json()["data"]
    assert set(data) >= CONTRACT and data["canBackup"] is True
    assert data["database"]["status"] == "ok" and data["database"]["vendor"] == connection.vendor
    assert data["storage"] == {"status": "ok", "backend": "local", "ms": data["storage"]["ms"]}
    assert data["redis"]["status"] in ("ok", "unused")  # unused when embedded (no REDIS_URL)
    assert api.get("/api/health", token=cast.owner).json()["data"] == {}


def test_an_unreachable_s3_storage_shows_as_unavailable_quickly(api: Any, cast: Any) -> None:
    import time

    from tests.services import free_port

    options = {
        "endpoint_url": f"http://127.0.0.1:{free_port()}",
        "bucket_name": "b",
        "access_key": "k",
        "secret_key": "s",
        "region_name": "us-east-1",
    }
    storages = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        started = time.monotonic()
        response = api.get("/api/health", token=cast.superuser)
        took = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["data"]["storage"]["status"] == "unavailable"
    assert took < 5


def test_the_json_formatter_writes_one_object_per_line() -> None:
    logger = logging.getLogger("baas.test")
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        record = logger.makeRecord(
            "baas.test",
            logging.ERROR,
            __file__,
            1,
            "failed %s",
            ("x",),
            sys.exc_info(),
            extra={"key": "k-1"},
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "baas.test"
    assert entry["message"] == "failed x" and entry["key"] == "k-1"
    assert "ValueError: boom" in entry["exception"]
    assert entry["time"].endswith("Z") and isinstance(entry["pid"], int)


@pytest.mark.parametrize("value, json_lines", [("json", True), ("text", False)])
def test_baas_logs_json_when_asked(tmp_path: Any, value: str, json_lines: bool) -> None:
    env = services.baas_env(BAAS_LOG_FORMAT=value)
    done = services.run_baas("migrate", "--dir", str(tmp_path / "data"), env=env)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "collection created" in line]
    assert lines, done.stderr
    if json_lines:
        entries = [json.loads(line) for line in lines]
        assert {e["logger"] for e in entries} == {"baas.schema"}
        assert all(e["level"] == "INFO" for e in entries)
    else:
        assert " INFO baas.schema collection created" in lines[0]


def test_a_bad_log_format_is_one_line_naming_the_variable(tmp_path: Any) -> None:
    done = services.run_baas(
        "migrate", "--dir", str(tmp_path), env=services.baas_env(BAAS_LOG_FORMAT="xml")
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip() == "baas: configuration error: BAAS_LOG_FORMAT: expected text or json."
    )
