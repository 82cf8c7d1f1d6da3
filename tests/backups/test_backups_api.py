"""``/api/backups`` (wire-api §7.5) in-process: who may call it, names, uploads, downloads,
deletes and the refusals of a restore. Making and restoring real archives needs a
committed database: ``test_roundtrip`` does that on live servers."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from baas.backups.state import ActiveOperation
from tests.backups.archives import archive_bytes, manifest, zip_bytes

FORM = "An error occurred while validating the submitted data."
BUSY = "Try again later - another backup/restore process has already been started."
INVALID = "Missing or invalid backup file."

SUPERUSER_ONLY = [
    ("GET", "/api/backups"),
    ("POST", "/api/backups"),
    ("POST", "/api/backups/upload"),
    ("DELETE", "/api/backups/a.zip"),
    ("POST", "/api/backups/a.zip/restore"),
    ("GET", "/api/crons"),
    ("POST", "/api/crons/__pbLogsCleanup__"),
]


def envelope(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"status", "message", "data"}, body
    assert body["status"] == response.status_code
    return body


def put_archive(backups_dir: Path, key: str, content: bytes | None = None) -> Path:
    backups_dir.mkdir(parents=True, exist_ok=True)
    path = backups_dir / key
    path.write_bytes(archive_bytes() if content is None else content)
    return path


def file_token(api: Any, token: str) -> str:
    response = api.post("/api/files/token", token=token)
    assert response.status_code == 200
    return response.json()["token"]


@pytest.mark.parametrize("method, path", SUPERUSER_ONLY)
@pytest.mark.parametrize("who, status", [("guest", 401), ("owner", 403)])
def test_only_superusers_manage_backups_and_crons(api, cast, method, path, who, status):
    token = None if who == "guest" else cast.owner
    response = api.request(method, path, json={}, token=token)
    assert response.status_code == status
    envelope(response)


def test_the_list_shows_archives_with_size_and_date(api, superuser_token, backups_dir):
    assert api.get("/api/backups", token=superuser_token).json() == []
    put_archive(backups_dir, "b.zip")
    put_archive(backups_dir, "@auto_pb_backup_acme_20260101000000.zip")
    (backups_dir / ".tmp-half.zip").write_bytes(b"partial")  # never listed
    (backups_dir / "notes.txt").write_bytes(b"not an archive name")
    items = api.get("/api/backups", token=superuser_token).json()
    assert [item["key"] for item in items] == ["@auto_pb_backup_acme_20260101000000.zip", "b.zip"]
    assert items[1]["size"] == (backups_dir / "b.zip").stat().st_size
    assert len(items[1]["modified"]) == 24 and items[1]["modified"].endswith("Z")


@pytest.mark.parametrize(
    "name, code",
    [
        ("Bad Name.zip", "validation_match_invalid"),
        ("UPPER.zip", "validation_match_invalid"),
        ("no_extension", "validation_match_invalid"),
        ("../escape.zip", "validation_match_invalid"),
        ("a/b.zip", "validation_match_invalid"),
        (".hidden.zip", "validation_match_invalid"),
        ("x" * 147 + ".zip", "validation_length_out_of_range"),
    ],
)
def test_a_backup_name_is_checked(api, superuser_token, backups_dir, name, code):
    response = api.post("/api/backups", json={"name": name}, token=superuser_token)
    assert response.status_code == 400
    body = envelope(response)
    assert body["message"] == FORM
    assert body["data"]["name"]["code"] == code
    assert not any(backups_dir.glob("*.zip")) if backups_dir.exists() else True


@pytest.mark.parametrize("body", [{"name": 12}, {"name": ["a.zip"]}, [1, 2]])
def test_a_body_of_the_wrong_shape_is_a_400(api, superuser_token, body):
    response = api.post("/api/backups", json=body, token=superuser_token)
    assert response.status_code == 400
    assert envelope(response)["message"] == "An error occurred while loading the submitted data."


def test_an_existing_name_is_refused(api, superuser_token, backups_dir):
    put_archive(backups_dir, "taken.zip")
    response = api.post("/api/backups", json={"name": "taken.zip"}, token=superuser_token)
    assert response.status_code == 400
    assert envelope(response)["data"]["name"]["code"] == "validation_backup_name_exists"


def test_one_backup_or_restore_at_a_time(api, superuser_token, backups_dir):
    put_archive(backups_dir, "a.zip")
    operation = ActiveOperation.acquire("other.zip")
    try:
        health = api.get("/api/health", token=superuser_token).json()
        assert health["data"]["canBackup"] is False
        for path in ("/api/backups", "/api/backups/a.zip/restore"):
            response = api.post(path, json={}, token=superuser_token)
            assert response.status_code == 400
            assert envelope(response)["message"] == BUSY
        deleted = api.delete("/api/backups/other.zip", token=superuser_token)
        assert deleted.status_code == 400
        assert (
            envelope(deleted)["message"]
            == "The backup is currently being used and cannot be deleted."
        )
    finally:
        operation.release()
    assert api.get("/api/health", token=superuser_token).json()["data"]["canBackup"] is True


# ---- upload ---------------------------------------------------------------------------------


def test_an_uploaded_archive_is_listed(api, superuser_token, backups_dir):
    content = archive_bytes(files={"c1/r1/a.txt": b"hello"})
    response = api.post(
        "/api/backups/upload",
        files={"file": ("mine.zip", content, "application/zip")},
        token=superuser_token,
    )
    assert response.status_code == 204, response.content
    assert (backups_dir / "mine.zip").read_bytes() == content
    assert not list(backups_dir.glob(".tmp-*"))


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("x.zip", b"not a zip at all", "validation_invalid_mime_type"),
        ("pb.zip", zip_bytes({"data.db": b"SQLite format 3\x00"}), "validation_invalid_mime_type"),
        ("bad.zip", zip_bytes({"baas_backup.json": b"{nope"}), "validation_invalid_mime_type"),
        (
            "v.zip",
            zip_bytes({"baas_backup.json": manifest(format=99)}),
            "validation_invalid_mime_type",
        ),
        (
            "slip.zip",
            zip_bytes(
                {
                    "baas_backup.json": manifest(),
                    "data.db": b"",
                    "database.sql": b"",
                    "storage/../../etc/x": b"",
                }
            ),
            "validation_invalid_mime_type",
        ),
        (
            "abs.zip",
            zip_bytes(
                {
                    "baas_backup.json": manifest(),
                    "data.db": b"",
                    "database.sql": b"",
                    "/etc/passwd": b"",
                }
            ),
            "validation_invalid_mime_type",
        ),
        ("no db.zip", archive_bytes, "validation_match_invalid"),
        ("archive.tar", archive_bytes, "validation_match_invalid"),
    ],
)
def test_an_upload_must_be_one_of_our_archives(
    api, superuser_token, backups_dir, name, content, code
):
    body = content() if callable(content) else content
    response = api.post(
        "/api/backups/upload",
        files={"file": (name, body, "application/zip")},
        token=superuser_token,
    )
    assert response.status_code == 400
    envelope_body = envelope(response)
    assert envelope_body["message"] == FORM
    assert envelope_body["data"]["file"]["code"] == code
    assert (
        not [p for p in backups_dir.iterdir() if not p.name.startswith(".lock")]
        if backups_dir.exists()
        else True
    )


def test_an_upload_without_a_file_or_with_a_taken_name(api, superuser_token, backups_dir):
    missing = api.post("/api/backups/upload", data={"other": "x"}, token=superuser_token)
    assert missing.status_code == 400
    assert envelope(missing)["data"]["file"]["code"] == "validation_required"
    put_archive(backups_dir, "taken.zip")
    taken = api.post(
        "/api/backups/upload",
        files={"file": ("taken.zip", archive_bytes(), "application/zip")},
        token=superuser_token,
    )
    assert taken.status_code == 400
    assert envelope(taken)["data"]["file"]["code"] == "validation_backup_name_exists"


# ---- download ----------------------------------------------------------------------------------


def test_a_download_needs_a_superuser_file_token(api, cast, backups_dir):
    path = put_archive(backups_dir, "d.zip")
    ok = api.get("/api/backups/d.zip", query={"token": file_token(api, cast.superuser)})
    assert ok.status_code == 200
    assert ok["Content-Disposition"] == 'attachment; filename="d.zip"'
    assert b"".join(ok.streaming_content) == path.read_bytes()
    for token in [
        "",
        cast.superuser,  # an auth token is not a file token
        file_token(api, cast.owner),  # a user's file token
        "eyJhbGciOiJub25lIn0.eyJpZCI6IngifQ.",
    ]:
        refused = api.get("/api/backups/d.zip", query={"token": token}, token=cast.superuser)
        assert refused.status_code == 403, token
        assert envelope(refused)["message"] == "Insufficient permissions to access the resource."


@pytest.mark.parametrize(
    "path",
    [
        "/api/backups/missing.zip",
        "/api/backups/..%2F..%2Fdata.db",
        "/api/backups/%2e%2e",
        "/api/backups/.lock",
    ],
)
def test_a_download_of_nothing_is_a_404(api, cast, backups_dir, path):
    put_archive(backups_dir, "d.zip")
    response = api.get(path, query={"token": file_token(api, cast.superuser)})
    assert response.status_code == 404
    envelope(response)


# ---- delete and restore --------------------------------------------------------------------------


def test_delete_removes_the_archive_once(api, superuser_token, backups_dir):
    path = put_archive(backups_dir, "gone.zip")
    assert api.delete("/api/backups/gone.zip", token=superuser_token).status_code == 204
    assert not path.exists()
    again = api.delete("/api/backups/gone.zip", token=superuser_token)
    assert again.status_code == 400
    assert envelope(again)["message"] == "Invalid or already deleted backup file."
    odd = api.delete("/api/backups/.lock", token=superuser_token)
    assert odd.status_code == 400


@pytest.mark.parametrize(
    "content, message",
    [
        (None, INVALID),  # no such archive
        (b"garbage", INVALID),
        (zip_bytes({"data.db": b""}), INVALID),
    ],
)
def test_a_restore_that_cannot_run_is_refused_before_anything_changes(
    api, superuser_token, backups_dir, content, message
):
    if content is not None:
        put_archive(backups_dir, "r.zip", content)
    response = api.post("/api/backups/r.zip/restore", token=superuser_token)
    assert response.status_code == 400
    assert envelope(response)["message"] == message
    assert not (backups_dir / ".restore-state").exists()


def test_an_archive_of_the_other_database_is_refused(api, superuser_token, backups_dir):
    from django.db import connection

    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    put_archive(backups_dir, "other.zip", archive_bytes(other))
    response = api.post("/api/backups/other.zip/restore", token=superuser_token)
    assert response.status_code == 400
    assert other in envelope(response)["message"]
    assert not (backups_dir / ".restore-state").exists()


def test_temp_files_of_a_crash_are_cleaned_by_the_next_backup(backups_dir):
    from baas.backups.service import _remove_stale_temp_files

    backups_dir.mkdir(parents=True, exist_ok=True)
    old = backups_dir / ".tmp-old.zip"
    old.write_bytes(b"x")
    past = time.time() - 2 * 86400
    os.utime(old, (past, past))
    fresh = backups_dir / ".tmp-fresh.zip"
    fresh.write_bytes(b"x")
    _remove_stale_temp_files(backups_dir)
    assert not old.exists() and fresh.exists()
