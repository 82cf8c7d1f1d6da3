"""Issue #13: data made through the real ``pocketbase`` binary (0.40.6), imported with
``baas import-pocketbase``, answers the same calls with the same JSON on ``baas serve``:
lists and views with expand, filters, sorts, rules, sign-in with the old passwords
(bcrypt hashes), superusers, files and thumbs. The source directory is not touched
and a second import changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.reliability.live import instance

from . import peer, world

PB_SUPERUSER = ("pbadmin@example.com", "pbadmin-pass-1")
# Documented differences (docs/moving-from-pocketbase.md): a view's fields are inferred
# again from its query, so their ids (pocketbase: random ``_clone_…``) and the id
# field's options differ; everything else must be equal.
DIFFERENT = {("schema_post_titles", "fields")}


@dataclass
class Peer:
    pb_data: Path
    world: world.World
    answers: dict[str, Any]
    files: dict[str, bytes]


def _file_urls(answers: dict[str, Any], ids: dict[str, str]) -> dict[str, str]:
    posts = {p["id"]: p for p in answers["posts_super"]["items"]}
    first = posts[ids["p1"]]
    alice = answers["alice_record"]
    return {
        "cover": f"/api/files/posts/{first['id']}/{first['cover']}",
        "attachment_txt": f"/api/files/posts/{first['id']}/{first['attachments'][0]}",
        "attachment_png": f"/api/files/posts/{first['id']}/{first['attachments'][1]}",
        "avatar": f"/api/files/users/{alice['id']}/{alice['avatar']}",
    }


def _download(base: str, urls: dict[str, str]) -> dict[str, bytes]:
    out = {}
    with httpx.Client(base_url=base, timeout=30) as http:
        for name, url in urls.items():
            answer = http.get(url)
            assert answer.status_code == 200, f"{url}: {answer.status_code}"
            out[name] = answer.content
    return out


@pytest.fixture(scope="module")
def pocketbase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    root = tmp_path_factory.mktemp("pocketbase")
    peer.upsert_superuser(root, *PB_SUPERUSER)
    with peer.serving(root) as base:
        token = world.sign_in(base, "_superusers", *PB_SUPERUSER)["token"]
        made = world.build(base, token)
        answers = world.observe(base, token, made)
        files = _download(base, _file_urls(answers, made.ids))
    yield Peer(root / "pb_data", made, answers, files)


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _without_differences(answers: dict[str, Any]) -> dict[str, Any]:
    out = dict(answers)
    for call, key in DIFFERENT:
        out[call] = {k: v for k, v in out[call].items() if k != key}
    return out


def _thumb_size(base: str, url: str, spec: str) -> tuple[int, int]:
    answer = httpx.get(f"{base}{url}", params={"thumb": spec}, timeout=30)
    assert answer.status_code == 200, answer.text
    with Image.open(io.BytesIO(answer.content)) as image:
        return image.size


def test_the_same_calls_answer_the_same_after_the_import(pocketbase: Peer, tmp_path: Path) -> None:
    before = _digest(pocketbase.pb_data)
    with instance(tmp_path, start=False) as live:
        done = live.cli("import-pocketbase", str(pocketbase.pb_data))
        assert done.returncode == 0, done.stderr
        for line in ("posts: 4 records", "users: 2 records", "tags: 3 records", "_superusers: 1"):
            assert line in done.stderr
        assert "missing related" not in done.stderr and "unknown field type" not in done.stderr
        assert "settings: backups, batch, logs, meta" in done.stderr
        assert "not imported: logs" in done.stderr  # what could not be mapped is reported
        assert _digest(pocketbase.pb_data) == before  # never writes into the source

        live.start()
        token = world.sign_in(live.url, "_superusers", *PB_SUPERUSER)["token"]  # bcrypt hash
        answers = world.observe(live.url, token, pocketbase.world)
        assert _without_differences(answers) == _without_differences(pocketbase.answers)
        for name in [c for c, _ in DIFFERENT]:
            assert [f["name"] for f in answers[name]["fields"]] == [
                f["name"] for f in pocketbase.answers[name]["fields"]
            ]

        urls = _file_urls(answers, pocketbase.world.ids)
        assert _download(live.url, urls) == pocketbase.files
        assert _thumb_size(live.url, urls["cover"], "50x50") == (50, 50)  # declared thumb
        assert _thumb_size(live.url, urls["avatar"], "100x100") == (100, 100)
        assert _digest(pocketbase.pb_data) == before


def test_a_second_import_changes_nothing(pocketbase: Peer, tmp_path: Path) -> None:
    with instance(tmp_path, start=False) as live:
        first = live.cli("import-pocketbase", str(pocketbase.pb_data))
        assert first.returncode == 0, first.stderr
        assert live.cli("export", str(tmp_path / "after-one")).returncode == 0
        second = live.cli("import-pocketbase", str(pocketbase.pb_data))
        assert second.returncode == 0, second.stderr
        assert "posts: 4 records" in second.stderr and "not imported:" in second.stderr
        assert live.cli("export", str(tmp_path / "after-two")).returncode == 0
        assert _digest(tmp_path / "after-two") == _digest(tmp_path / "after-one")


def test_a_directory_that_is_not_pocketbase_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with instance(tmp_path, start=False) as live:
        done = live.cli("import-pocketbase", str(tmp_path / "empty"))
    assert done.returncode == 1
    assert "no data.db" in done.stderr and "Traceback" not in done.stderr


def test_a_running_pocketbase_is_read_from_a_copy_with_its_log(
    pocketbase: Peer, tmp_path: Path
) -> None:
    """With pocketbase still running, its ``data.db-wal`` holds recent commits: the pair
    is copied and the copy read, so they come along."""
    root = tmp_path / "running"
    shutil.copytree(pocketbase.pb_data.parent, root, ignore=shutil.ignore_patterns("*.log"))
    with peer.serving(root) as base:
        token = world.sign_in(base, "_superusers", *PB_SUPERUSER)["token"]
        late = httpx.post(
            f"{base}/api/collections/tags/records",
            json={"label": "late", "color": "blue"},
            headers={"Authorization": token},
            timeout=30,
        )
        assert late.status_code == 200, late.text
        wal = root / "pb_data" / "data.db-wal"
        assert wal.exists() and wal.stat().st_size > 0
        with instance(tmp_path, start=False) as live:
            done = live.cli("import-pocketbase", str(root / "pb_data"))
            assert done.returncode == 0, done.stderr
            assert "tags: 4 records" in done.stderr
