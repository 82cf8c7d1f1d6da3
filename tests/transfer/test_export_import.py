"""Issue #13: ``baas export`` / ``baas import`` round-trip exactly, from the embedded
SQLite instance to PostgreSQL and back: exporting what was imported gives the same
bytes (collections, records with hashes and token keys, files), the imported instance
answers the same calls, and users sign in with their passwords.

Both database runs do both directions. On the SQLite run the PostgreSQL side is a
throwaway cluster of the test's own (tests/reliability/outage_services.py).
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from PIL import Image

from tests import services
from tests.reliability.live import PASSWORD, SUPERUSER, Instance, instance
from tests.reliability.outage_services import pg_cluster

from . import world

SECRET = "test-only-secret-7c4e1a9b3f6d2e8a5c0b7d4f1e9a3c6b"


@contextmanager
def postgres_url() -> Iterator[str]:
    """A fresh empty PostgreSQL database for one instance."""
    url = os.environ.get("DATABASE_URL") or ""
    if url.startswith("postgres"):
        with services.live_database() as fresh:
            assert fresh
            yield fresh
        return
    with pg_cluster() as cluster:
        yield cluster.url()


@contextmanager
def on_sqlite(root: Path) -> Iterator[Instance]:
    with instance(root, start=False, DATABASE_URL=None, BAAS_SECRET_KEY=SECRET) as live:
        yield live


@contextmanager
def on_postgres(root: Path) -> Iterator[Instance]:
    with (
        postgres_url() as url,
        instance(root, start=False, DATABASE_URL=url, BAAS_SECRET_KEY=SECRET) as live,
    ):
        yield live


def _instance_tables(live: Instance) -> str:
    """Settings, a webhook and an API key (its text, to use after the move)."""
    settings = live.api("PATCH", "/api/settings", json={"meta": {"appName": "Moved app"}})
    assert settings.status_code == 200, settings.text
    hook = live.api(
        "POST",
        "/api/webhooks",
        json={"collection": "posts", "events": ["create"], "url": "http://127.0.0.1:9/hook"},
    )
    assert hook.status_code == 200, hook.text
    key = live.api("POST", "/api/x/api-keys", json={"name": "reader", "actions": ["list"]})
    assert key.status_code == 200, key.text
    return str(key.json()["key"])


def _instance_answers(base: str, token: str) -> dict[str, object]:
    with httpx.Client(base_url=base, headers={"Authorization": token}, timeout=30) as http:
        return {
            p: http.get(p).json() for p in ("/api/settings", "/api/webhooks", "/api/x/api-keys")
        }


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _run(live: Instance, *args: str) -> str:
    done = live.cli(*args)
    assert done.returncode == 0, done.stderr
    return str(done.stderr)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict, world.World]]:
    """An embedded instance with the world in it, its answers, and its export."""
    root = tmp_path_factory.mktemp("source")
    with on_sqlite(root) as live:
        live.start()
        token = live.sign_in_superuser()
        made = world.build(live.url, token)
        made.ids["api_key"] = _instance_tables(live)
        answers = {**world.observe(live.url, token, made), **_instance_answers(live.url, token)}
        live.stop()
        stderr = _run(live, "export", str(root / "export"))
    assert "posts: 4 records" in stderr and "Everything was mapped." in stderr
    yield root / "export", answers, made


def test_the_export_holds_collections_records_and_files(source: tuple) -> None:
    exported, _, made = source
    collections = orjson.loads((exported / "collections.json").read_bytes())
    names = [c["name"] for c in collections]
    assert {"users", "_superusers", "tags", "posts", "post_titles"} <= set(names)
    tables = {p.name for p in (exported / "system").iterdir()}
    assert {"baas_settings_api.AppSettings.jsonl", "baas_webhooks.Webhook.jsonl"} <= tables
    users = [
        orjson.loads(line) for line in (exported / "records/users.jsonl").read_bytes().splitlines()
    ]
    alice = next(u for u in users if u["id"] == made.ids["alice"])
    assert alice["password"].startswith("$argon2") and len(alice["tokenKey"]) >= 30
    assert not (exported / "records/post_titles.jsonl").exists()  # views hold no records
    first = next(
        orjson.loads(line)
        for line in (exported / "records/posts.jsonl").read_bytes().splitlines()
        if orjson.loads(line)["id"] == made.ids["p1"]
    )
    posts_id = next(c["id"] for c in collections if c["name"] == "posts")
    for filename in [first["cover"], *first["attachments"]]:
        assert (exported / "files" / posts_id / first["id"] / filename).is_file()


def test_sqlite_to_postgresql_to_sqlite_round_trips_exactly(source: tuple, tmp_path: Path) -> None:
    exported, answers, made = source
    with on_postgres(tmp_path / "pg") as pg:
        _run(pg, "import", str(exported))
        _run(pg, "export", str(tmp_path / "from-pg"))
        assert _tree(tmp_path / "from-pg") == _tree(exported)
        pg.start()
        token = pg.sign_in("_superusers", SUPERUSER, PASSWORD)
        moved = {**world.observe(pg.url, token, made), **_instance_answers(pg.url, token)}
        assert moved == answers
        with pg.client() as http:
            listed = http.get(
                "/api/collections/posts/records", headers={"Authorization": made.ids["api_key"]}
            )
        assert listed.status_code == 200 and listed.json()["totalItems"] == 4
    with on_sqlite(tmp_path / "back") as back:
        _run(back, "import", str(tmp_path / "from-pg"))
        _run(back, "export", str(tmp_path / "back-again"))
        assert _tree(tmp_path / "back-again") == _tree(exported)


def test_importing_twice_changes_nothing(source: tuple, tmp_path: Path) -> None:
    exported, _, _ = source
    with on_sqlite(tmp_path / "twice") as live:
        _run(live, "import", str(exported))
        stderr = _run(live, "import", str(exported))
        assert "posts: 4 records" in stderr and "Everything was mapped." in stderr
        _run(live, "export", str(tmp_path / "again"))
    assert _tree(tmp_path / "again") == _tree(exported)


def test_export_refuses_a_directory_that_is_not_empty(source: tuple, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with on_sqlite(tmp_path / "x") as live:
        done = live.cli("export", str(tmp_path / "full"))
        missing = live.cli("import", str(tmp_path / "nowhere"))
    assert done.returncode == 1 and "is not empty" in done.stderr
    assert missing.returncode == 1 and "collections.json is missing" in missing.stderr
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_files_go_through_the_storage_adapter_to_s3(
    source: tuple, s3_server: Any, tmp_path: Path
) -> None:
    exported, answers, made = source
    bucket = f"import-{uuid.uuid4().hex[:8]}"
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    env = {
        "BAAS_S3_ENDPOINT": s3_server.endpoint,
        "BAAS_S3_BUCKET": bucket,
        "BAAS_S3_ACCESS_KEY": s3_server.access_key,
        "BAAS_S3_SECRET_KEY": s3_server.secret_key,
        "BAAS_SECRET_KEY": SECRET,
    }
    with instance(tmp_path, start=False, **env) as live:
        _run(live, "import", str(exported))
        files = {k: v for k, v in _tree(exported).items() if k.startswith("files/")}
        for name, data in files.items():
            key = name.removeprefix("files/")
            assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == data
        _run(live, "export", str(tmp_path / "from-s3"))
        assert _tree(tmp_path / "from-s3") == _tree(exported)
        live.start()
        first = next(p for p in answers["posts_super"]["items"] if p["id"] == made.ids["p1"])
        with live.client() as http:
            thumb = http.get(
                f"/api/files/posts/{first['id']}/{first['cover']}", params={"thumb": "50x50"}
            )
        assert thumb.status_code == 200
        with Image.open(io.BytesIO(thumb.content)) as image:
            assert image.size == (50, 50)
