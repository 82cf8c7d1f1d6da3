"""Full-text search survives a backup and an in-place restore on a live instance
(SQLite: the FTS5 table, its map and triggers are in the restored file; PostgreSQL:
the GIN index is in the dump), and keeps following writes and schema changes after it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.backups.test_roundtrip import backup, restore_and_wait
from tests.backups.world import ok
from tests.reliability.live import Instance, instance

OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}


def found(live: Instance, text: str) -> list[str]:
    body = ok(live.api("GET", "/api/collections/docs/records", params={"search": text}))
    return [item["title"] for item in body["items"]]


def test_search_after_an_in_place_restore(tmp_path: Path) -> None:
    with instance(tmp_path, REDIS_URL=None) as live:
        live.sign_in_superuser()
        fields = [
            {"name": "title", "type": "text", "searchable": True},
            {"name": "body", "type": "editor", "searchable": True},
        ]
        ok(live.api("POST", "/api/collections", json={"name": "docs", **OPEN, "fields": fields}))
        records: dict[str, Any] = {}
        for title, body in [("alpha", "<p>apples</p>"), ("beta", "<p>bananas</p>")]:
            made = ok(
                live.api(
                    "POST", "/api/collections/docs/records", json={"title": title, "body": body}
                )
            )
            records[title] = made["id"]
        backup(live, "search.zip")
        # the data moves on after the backup
        ok(live.api("POST", "/api/collections/docs/records", json={"title": "gamma apples"}))
        ok(
            live.api(
                "PATCH",
                f"/api/collections/docs/records/{records['beta']}",
                json={"body": "<p>cherries</p>"},
            )
        )
        assert sorted(found(live, "apples")) == ["alpha", "gamma apples"]

        def restored() -> bool:
            return found(live, "apples") == ["alpha"]

        restore_and_wait(live, "search.zip", restored)
        assert found(live, "bananas") == ["beta"]
        assert found(live, "cherries") == []
        # writes and schema changes after the restore are indexed as usual
        ok(live.api("POST", "/api/collections/docs/records", json={"title": "delta cherries"}))
        assert found(live, "cherries") == ["delta cherries"]
        current = ok(live.api("GET", "/api/collections/docs"))["fields"]
        extra = {"name": "extra", "type": "number"}
        ok(live.api("PATCH", "/api/collections/docs", json={"fields": [*current, extra]}))
        assert found(live, "bananas") == ["beta"]
        assert found(live, "delta") == ["delta cherries"]
