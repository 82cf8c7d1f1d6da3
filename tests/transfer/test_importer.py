"""The loader behind both imports, in-process: what it cannot map is reported and
skipped while the rest loads; ids, dates, bcrypt hashes and token keys are kept."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from baas.collections.models import Collection
from baas.collections.records.rows import fetch_one
from baas.transfer.importer import load
from baas.transfer.report import Report

pytestmark = pytest.mark.django_db

USER = {
    "id": "olduser00000001",
    "email": "old@example.com",
    "password": bcrypt.hashpw(b"from-pocketbase", bcrypt.gensalt(4, prefix=b"2a")).decode(),
    "tokenKey": "k" * 50,
    "verified": True,
    "emailVisibility": False,
    "name": "Old",
    "avatar": "",
    "created": "2024-05-06 07:08:09.123Z",
    "updated": "2024-06-07 08:09:10.456Z",
}
NOTES = {
    "id": "pbc_notes000001",
    "name": "notes",
    "type": "base",
    "listRule": "nosuchfield = 1",
    "viewRule": "",
    "created": "2024-01-01 00:00:00.000Z",
    "updated": "2024-01-02 00:00:00.000Z",
    "fields": [
        {"id": "text3208210256", "name": "id", "type": "text", "primaryKey": True},
        {"id": "text1000000001", "name": "title", "type": "text"},
        {
            "id": "relation100001",
            "name": "owner",
            "type": "relation",
            "collectionId": "_pb_users_auth_",
            "maxSelect": 1,
        },
        {"id": "hologram100001", "name": "hologram", "type": "hologram"},
    ],
    "indexes": [
        "CREATE UNIQUE INDEX `idx_notes_title` ON `notes` (`title`)",
        "CREATE INDEX `idx_broken` ON `notes` (`nosuchfield`)",
    ],
}


@dataclass
class Given:
    """A source given as plain data (what a reader would have produced)."""

    items: list[dict[str, Any]]
    rows: dict[str, list[dict[str, Any]]]
    stored: list[tuple[str, Path]] = field(default_factory=list)

    def collections(self) -> list[dict[str, Any]]:
        return self.items

    def record_ids(self, item: dict[str, Any]) -> Iterable[str]:
        return [r["id"] for r in self.rows.get(item["name"], [])]

    def records(self, item: dict[str, Any], collection: Collection) -> Iterable[dict[str, Any]]:
        return [dict(r) for r in self.rows.get(item["name"], [])]

    def files(self) -> Iterable[tuple[str, Path]]:
        return self.stored


def _source() -> Given:
    notes = [
        {
            "id": "note00000000001",
            "title": "kept",
            "owner": USER["id"],
            "hologram": "x",
            "created": "",
            "updated": "",
        },
        {"id": "note00000000002", "title": "orphan", "owner": "gone00000000000"},
        {"id": "note00000000003", "title": "kept"},  # breaks the unique title index
    ]
    return Given([NOTES], {"users": [USER], "notes": notes})


def _load(source: Given) -> Report:
    report = Report(stream=io.StringIO())
    users = Collection.objects.get(name="users")
    from baas.collections.wire import collection_to_wire

    source.items = [collection_to_wire(users), *source.items]
    load(source, report)
    return report


def test_what_cannot_be_mapped_is_reported_and_the_rest_loads() -> None:
    report = _load(_source())
    problems = "\n".join(report.problems)
    assert "notes.hologram: unknown field type 'hologram'" in problems
    assert "notes.listRule 'nosuchfield = 1' set to superusers only" in problems
    assert "idx_broken" in problems
    assert (
        "notes/note00000000002.owner: missing related record(s) gone00000000000 dropped" in problems
    )
    assert "notes/note00000000003 not imported" in problems
    notes = Collection.objects.get(id="pbc_notes000001")
    assert notes.rules["listRule"] is None and notes.rules["viewRule"] == ""
    assert [f["name"] for f in notes.fields] == ["id", "title", "owner"]
    assert notes.indexes == ["CREATE UNIQUE INDEX `idx_notes_title` ON `notes` (`title`)"]
    assert report.counts["notes"] == 2
    assert fetch_one(notes, "note00000000001")["owner"] == USER["id"]
    assert fetch_one(notes, "note00000000002")["owner"] == ""
    assert fetch_one(notes, "note00000000003") is None
    assert notes.created.isoformat().startswith("2024-01-01")


def test_auth_records_keep_hashes_token_keys_and_dates(api: Any) -> None:
    _load(_source())
    users = Collection.objects.get(name="users")
    stored = fetch_one(users, USER["id"])
    assert stored is not None
    assert stored["password"] == USER["password"] and stored["tokenKey"] == USER["tokenKey"]
    answer = api.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "old@example.com", "password": "from-pocketbase"},
    )
    assert answer.status_code == 200, answer.content
    record = answer.json()["record"]
    assert (record["created"], record["updated"]) == (USER["created"], USER["updated"])
    wrong = api.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "old@example.com", "password": "not-it-at-all"},
    )
    assert wrong.status_code == 400


def test_loading_twice_gives_the_same_rows() -> None:
    _load(_source())
    notes = Collection.objects.get(id="pbc_notes000001")
    first = fetch_one(notes, "note00000000001")
    report = _load(_source())
    assert fetch_one(notes, "note00000000001") == first
    assert report.counts == {"users": 1, "notes": 2}


def test_collections_refused_as_a_whole_are_reported_and_what_points_at_them_dropped() -> None:
    refused = {
        "id": "pbc_select00001",
        "name": "select",  # a name this instance refuses (an SQL keyword)
        "type": "base",
        "fields": [{"id": "text3208210256", "name": "id", "type": "text", "primaryKey": True}],
    }
    pointing = {
        "id": "pbc_points00001",
        "name": "points",
        "type": "base",
        "fields": [
            {"id": "text3208210256", "name": "id", "type": "text", "primaryKey": True},
            {"id": "text1000000002", "name": "label", "type": "text"},
            {
                "id": "relation100002",
                "name": "to",
                "type": "relation",
                "collectionId": "pbc_select00001",
            },
        ],
    }
    view = {
        "id": "pbc_view0000001",
        "name": "broken_view",
        "type": "view",
        "viewQuery": "SELEC nothing",
    }
    report = Report(stream=io.StringIO())
    load(
        Given([refused, pointing, view], {"points": [{"id": "point0000000001", "label": "a"}]}),
        report,
    )
    problems = "\n".join(report.problems)
    assert "collection select not imported" in problems and "its records are skipped" in problems
    assert "points.to dropped" in problems
    assert "collection broken_view not imported" in problems
    assert not Collection.objects.filter(id__in=["pbc_select00001", "pbc_view0000001"]).exists()
    points = Collection.objects.get(id="pbc_points00001")
    assert [f["name"] for f in points.fields] == ["id", "label"]
    assert fetch_one(points, "point0000000001")["label"] == "a"


def test_auth_options_refused_here_keep_our_defaults() -> None:
    members = {
        "id": "pbc_members0001",
        "name": "members",
        "type": "auth",
        "authToken": {"duration": -5},
        "mfa": "not an object",
        "otp": {"enabled": True, "duration": 120, "length": 6},
    }
    report = Report(stream=io.StringIO())
    load(Given([members], {}), report)
    problems = "\n".join(report.problems)
    assert "members.authToken left at its default" in problems
    assert "members.mfa left at its default" in problems
    options = Collection.objects.get(id="pbc_members0001").options
    assert options["authToken"]["duration"] == 432000 and options["mfa"]["enabled"] is False
    assert options["otp"]["enabled"] is True and options["otp"]["length"] == 6
