"""Backups of a live instance restore everything, into an empty instance or in place.

Real ``baas serve`` processes on the suite's database (SQLite or PostgreSQL): an
archive is made while the server runs, downloaded with a superuser file token,
uploaded to an empty instance and restored there; and a running instance restored
to an earlier state answers with the earlier schema at once (its workers restart).
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.backups.world import PNG, build, check, ok
from tests.reliability.live import Instance, instance, wait_for


def backup(live: Instance, name: str) -> None:
    ok(live.api("POST", "/api/backups", json={"name": name}), 204)


def download(live: Instance, key: str) -> bytes:
    file_token = ok(live.api("POST", "/api/files/token"))["token"]
    answer = live.api(
        "GET", f"/api/backups/{key}", params={"token": file_token}, headers={"Authorization": ""}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"].startswith("attachment")
    return answer.content


def restore_and_wait(live: Instance, key: str, ready: Any, token: str | None = None) -> None:
    """POST …/restore (204), then wait until the restarted workers answer ``ready``.

    ``token``: the superuser token valid in the restored data (if not the current one).
    """
    old = workers(live)
    ok(live.api("POST", f"/api/backups/{key}/restore"), 204)
    live.token = token or live.token
    wait_for(ready, 60, f"the restore of {key}", interval=0.25)
    settled(live, old)


def workers(live: Instance) -> set[int]:
    """The pids of the server's worker processes (granian's children)."""
    pid = live.server.process.pid
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as children:
            found |= {int(child) for child in children.read().split()}
    return found


def settled(live: Instance, old: set[int], runs: int = 3) -> None:
    """Old workers answer 503 until granian has stopped them: wait until every worker
    that ran before the restore is gone, then for a run of answers from new ones."""
    wait_for(lambda: not old & workers(live), 60, "the old workers to stop", interval=0.2)
    streak = [0]

    def answered() -> bool:
        streak[0] = streak[0] + 1 if live.api("GET", "/api/health").status_code == 200 else 0
        return streak[0] >= runs

    wait_for(answered, 30, "the new workers to answer", interval=0.2)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # No REDIS_URL: tasks run in-process (no worker here), so a cron job runs on request.
    with instance(tmp_path_factory.mktemp("source"), REDIS_URL=None) as live:
        live.sign_in_superuser()
        world = build(live)
        backup(live, "full.zip")
        yield live, world


def test_the_archive_holds_the_database_and_every_file(source: Any) -> None:
    live, world = source
    listed = ok(live.api("GET", "/api/backups"))
    assert [item["key"] for item in listed] == ["full.zip"]
    assert listed[0]["size"] > 0 and listed[0]["modified"].endswith("Z")
    archive = zipfile.ZipFile(io.BytesIO(download(live, "full.zip")))
    names = set(archive.namelist())
    assert "baas_backup.json" in names
    assert ("data.db" in names) != ("database.sql" in names)
    posts_id = ok(live.api("GET", "/api/collections/posts"))["id"]
    for path, content in world.files.items():
        assert archive.read(f"storage/{posts_id}/{path}") == content
    assert any("/thumbs_" in name for name in names)


def test_restore_into_an_empty_instance_gives_everything_back(source: Any, tmp_path: Path) -> None:
    live, world = source
    archive = download(live, "full.zip")
    with instance(tmp_path) as empty:
        empty.sign_in_superuser()
        ok(
            empty.api(
                "POST",
                "/api/backups/upload",
                files={"file": ("full.zip", archive, "application/zip")},
            ),
            204,
        )

        def restored() -> bool:
            return empty.api("GET", "/api/collections/posts").status_code == 200

        # After the restore the source's superuser (and its token) are the ones that exist.
        restore_and_wait(empty, "full.zip", restored, token=live.token)
        check(empty, world)
        # the restored instance works as usual: writes, files, schema changes
        post = ok(
            empty.api(
                "POST",
                "/api/collections/posts/records",
                data={"title": "after"},
                files=[("pics", ("new.png", PNG, "image/png"))],
            )
        )
        assert empty.api("GET", f"/api/files/posts/{post['id']}/{post['pics'][0]}").content == PNG
        ok(
            empty.api(
                "PATCH",
                "/api/collections/posts",
                json={"fields": [*_fields(empty), {"name": "extra", "type": "number"}]},
            )
        )


def _fields(live: Instance) -> list[dict[str, Any]]:
    return ok(live.api("GET", "/api/collections/posts"))["fields"]


def test_a_scheduled_backup_keeps_cron_max_keep_archives(source: Any) -> None:
    live, _ = source
    ok(
        live.api(
            "PATCH", "/api/settings", json={"backups": {"cron": "0 3 * * *", "cronMaxKeep": 2}}
        )
    )
    assert ok(live.api("GET", "/api/crons"))[0] == {
        "id": "__auto_pb_backup__",
        "expression": "0 3 * * *",
    }
    folder = live.data_dir / "backups"
    older = [folder / f"@auto_pb_backup_acme_2020010100000{i}.zip" for i in range(2)]
    for index, path in enumerate(older):
        shutil.copyfile(folder / "full.zip", path)
        os.utime(path, (1_577_836_800 + index, 1_577_836_800 + index))
    ok(live.api("POST", "/api/crons/__auto_pb_backup__"), 204)
    keys = [item["key"] for item in ok(live.api("GET", "/api/backups"))]
    autos = [key for key in keys if key.startswith("@auto_pb_backup_acme_")]
    assert len(autos) == 2 and older[1].name in autos and older[0].name not in autos
    assert "full.zip" in keys  # retention counts automatic backups only
    ok(live.api("PATCH", "/api/settings", json={"backups": {"cron": ""}}))


def test_restore_in_place_brings_the_old_schema_back(source: Any) -> None:
    """Last in the module: it rewinds the source instance to ``full.zip``."""
    live, world = source
    # The schema and data move on: the worker caches models of the new shape.
    ok(
        live.api(
            "PATCH",
            "/api/collections/posts",
            json={"fields": [*_fields(live), {"name": "score", "type": "number"}]},
        )
    )
    ok(live.api("POST", "/api/collections/posts/records", json={"title": "later", "score": 3}))
    ok(live.api("DELETE", "/api/collections/titles"), 204)
    ok(
        live.api(
            "POST",
            "/api/collections",
            json={"name": "notes", "fields": [{"name": "n", "type": "text"}]},
        )
    )
    ok(live.api("DELETE", f"/api/collections/posts/records/{world.posts[0]['id']}"), 204)

    def restored() -> bool:
        return live.api("GET", "/api/collections/notes").status_code == 404

    restore_and_wait(live, "full.zip", restored)
    check(live, world)
    assert "score" not in {f["name"] for f in _fields(live)}
    # A new field now: no worker may still hold the model that had "score".
    ok(
        live.api(
            "PATCH",
            "/api/collections/posts",
            json={"fields": [*_fields(live), {"name": "rank", "type": "number"}]},
        )
    )
    created = ok(live.api("POST", "/api/collections/posts/records", json={"title": "x", "rank": 2}))
    assert created["rank"] == 2 and "score" not in created
    assert "full.zip" in {b["key"] for b in ok(live.api("GET", "/api/backups"))}
