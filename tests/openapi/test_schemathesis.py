"""Schemathesis against a live server, driven by its own ``/api/openapi.json``.

A server of its own (tests/reliability/live.py) with a few collections and rules; the
document is read as a superuser and as a guest (``openapi.public`` on), and
schemathesis generates requests for every described operation: no answer may be a
5xx, and each must conform to the document (status codes, content types, response
schemas). Bounded: few examples per operation, a fixed seed, a time budget.

Left out of the run: the SSE stream (it stays open by design); the superuser
operations that would take the server away from the run (deleting or truncating
collections, importing collections, changing settings, which could lock the caller
out, restoring a backup, signing a record out everywhere); and those that reach
outside the machine or start background work the run does not wait for (webhooks'
deliveries, push sending, test emails and S3 checks, backups, running jobs and crons).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.reliability.live import Instance

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXCLUDED = [  # operation ids
    "realtime_connect",
    "collections_delete",
    "collections_truncate",
    "collections_update",
    "collections_create",
    "settings_update",
    "collections_import",
    "x_force_logout",
    "backups_create",
    "backups_upload",
    "backups_restore",
    "crons_run",
    "jobs_run",
    "webhooks_create",
    "webhooks_update",
    "webhooks_test",
    "webhooks_replay",
    "push_send",
    "settings_test_email",
    "settings_test_s3",
]


def _run(server: Instance, doc: dict[str, Any], tmp: Path, token: str | None) -> None:
    path = tmp / "openapi.json"
    path.write_text(json.dumps(doc))
    args = [
        str(SCHEMATHESIS),
        "run",
        str(path),
        "--url",
        server.url,
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "3",
        "--seed",
        "7",
        "--workers",  # 1: with threads, hypothesis' lambda-source cache races (a runtime error)
        "1",
        "--max-time",
        "15",
        "--request-timeout",  # generous: a loaded CI machine is slow, not broken
        "30",
        "--no-color",
    ]
    for operation_id in EXCLUDED:
        args += ["--exclude-operation-id", operation_id]
    if token:
        args += ["--header", f"Authorization: {token}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=180, cwd=tmp)
    (tmp / "schemathesis.txt").write_text(done.stdout + done.stderr)
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, f"{report}\n--- server log ---\n{server.log()[-3000:]}"
    assert "5xx" not in done.stdout.split("SUMMARY")[-1], report


def test_superuser_document(server: Instance, tmp_path: Path) -> None:
    doc = server.api("GET", "/api/openapi.json").json()
    _run(server, doc, tmp_path, server.token)


def test_public_document(server: Instance, tmp_path: Path) -> None:
    doc = server.api("GET", "/api/openapi.json", headers={"Authorization": ""}).json()
    assert "/api/settings" not in doc["paths"]
    _run(server, doc, tmp_path, None)
