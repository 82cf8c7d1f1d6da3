"""One data set, built through the HTTP API of either server (pocketbase or baas), and the
calls whose answers must be the same after a transfer.

Collections of every field type, with rules, indexes, a view, a relation cycle
(users.favorite → posts → users) and a self relation; an auth collection with users
signed in by password; records with relations and files (images with thumbs).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image

PASSWORDS = {"alice@example.com": "alice-secret-1", "bob@example.com": "bob-secret-22"}
EXPAND = "author,tags,parent,related,author.favorite"


def png(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


TAGS = {
    "name": "tags",
    "type": "base",
    "listRule": "",
    "viewRule": "",
    "fields": [
        {"name": "label", "type": "text", "required": True, "max": 50},
        {"name": "color", "type": "select", "values": ["red", "green", "blue"], "maxSelect": 1},
        {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
        {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
    ],
    "indexes": ["CREATE UNIQUE INDEX `idx_tags_label` ON `tags` (`label`)"],
}


def posts(tags_id: str) -> dict[str, Any]:
    visible = "published = true || author = @request.auth.id"
    return {
        "name": "posts",
        "type": "base",
        "listRule": visible,
        "viewRule": visible,
        "createRule": "@request.auth.id != ''",
        "updateRule": "author = @request.auth.id",
        "deleteRule": None,
        "fields": [
            {"name": "title", "type": "text", "required": True, "max": 200},
            {"name": "body", "type": "editor"},
            {"name": "views", "type": "number", "onlyInt": True},
            {"name": "score", "type": "number"},
            {"name": "published", "type": "bool"},
            {"name": "meta", "type": "json"},
            {"name": "due", "type": "date"},
            {"name": "site", "type": "url"},
            {"name": "contact", "type": "email"},
            {"name": "location", "type": "geoPoint"},
            {"name": "kinds", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
            {
                "name": "author",
                "type": "relation",
                "collectionId": "_pb_users_auth_",
                "maxSelect": 1,
            },
            {"name": "tags", "type": "relation", "collectionId": tags_id, "maxSelect": 5},
            {
                "name": "cover",
                "type": "file",
                "maxSelect": 1,
                "thumbs": ["50x50"],
                "mimeTypes": ["image/png"],
            },
            {"name": "attachments", "type": "file", "maxSelect": 3},
            {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
            {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
        ],
        "indexes": [
            "CREATE INDEX `idx_posts_title` ON `posts` (`title`)",
            "CREATE UNIQUE INDEX `idx_posts_site` ON `posts` (`site`) WHERE `site` != ''",
        ],
    }


META = {"appName": "Moved app", "appURL": "https://moved.example.com", "senderName": "Moved"}
VIEW = {
    "name": "post_titles",
    "type": "view",
    "listRule": "",
    "viewRule": "",
    "viewQuery": "SELECT id, title, views FROM posts WHERE published = true",
}


@dataclass
class World:
    """Ids of what ``build`` made, for the calls in ``observe``."""

    ids: dict[str, str] = field(default_factory=dict)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 204), f"{response.request.url}: {response.text}"
    return response.json() if response.status_code == 200 else {}


def _create(
    http: httpx.Client, collection: str, body: dict[str, Any], files: list[Any] | None = None
) -> str:
    path = f"/api/collections/{collection}/records"
    if files:
        answer = http.post(path, data={"@jsonPayload": json.dumps(body)}, files=files)
    else:
        answer = http.post(path, json=body)
    return str(_ok(answer)["id"])


def build(base: str, token: str) -> World:
    world = World()
    with httpx.Client(base_url=base, headers={"Authorization": token}, timeout=30) as http:
        users = _ok(http.get("/api/collections/users"))
        users_fields = [*users["fields"], {"name": "nickname", "type": "text", "max": 40}]
        _ok(http.patch("/api/collections/users", json={"fields": users_fields}))
        tags = _ok(http.post("/api/collections", json=TAGS))
        post_schema = _ok(http.post("/api/collections", json=posts(tags["id"])))
        self_relations = [
            {
                "name": "parent",
                "type": "relation",
                "collectionId": post_schema["id"],
                "maxSelect": 1,
            },
            {
                "name": "related",
                "type": "relation",
                "collectionId": post_schema["id"],
                "maxSelect": 9,
            },
        ]
        fields = post_schema["fields"]
        _ok(
            http.patch(
                "/api/collections/posts",
                json={"fields": [*fields[:-2], *self_relations, *fields[-2:]]},
            )
        )
        users_fields = _ok(http.get("/api/collections/users"))["fields"]
        favorite = {
            "name": "favorite",
            "type": "relation",
            "collectionId": post_schema["id"],
            "maxSelect": 1,
        }
        _ok(http.patch("/api/collections/users", json={"fields": [*users_fields, favorite]}))
        _ok(http.post("/api/collections", json=VIEW))
        _ok(http.patch("/api/settings", json={"meta": META}))
        _records(http, world)
    return world


def _records(http: httpx.Client, world: World) -> None:
    ids = world.ids
    for index, (email, password) in enumerate(PASSWORDS.items()):
        name = email.split("@")[0]
        body = {
            "email": email,
            "password": password,
            "passwordConfirm": password,
            "name": name.title(),
            "nickname": f"{name}-{index}",
            "emailVisibility": index == 0,
            "verified": True,
        }
        avatar = [("avatar", (f"{name} face.png", png(40, 30, (200, 10 * index, 90)), "image/png"))]
        ids[name] = _create(http, "users", body, avatar if index == 0 else None)
    for label, color in [("red", "red"), ("green", "green"), ("blue", "")]:
        ids[f"tag_{label}"] = _create(http, "tags", {"label": label, "color": color})
    ids["p1"] = _create(
        http,
        "posts",
        {
            "title": "First post",
            "body": "<p>Hello <b>world</b></p>",
            "views": 42,
            "score": 3.25,
            "published": True,
            "meta": {"b": 1, "a": [1, 2, {"z": None}], "c": "x"},
            "due": "2026-01-02 03:04:05.678Z",
            "site": "https://example.com/first",
            "contact": "first@example.com",
            "location": {"lon": 13.4, "lat": 52.52},
            "kinds": ["b", "a"],
            "author": ids["alice"],
            "tags": [ids["tag_red"], ids["tag_green"]],
        },
        [
            ("cover", ("Cover Image.png", png(120, 80, (10, 120, 250)), "image/png")),
            ("attachments", ("notes.txt", b"plain notes\n", "text/plain")),
            ("attachments", ("chart.png", png(30, 60, (0, 200, 0)), "image/png")),
        ],
    )
    ids["p2"] = _create(
        http,
        "posts",
        {
            "title": "Draft by bob",
            "views": 7,
            "score": -1.5,
            "author": ids["bob"],
            "meta": [1, "two"],
        },
    )
    ids["p3"] = _create(
        http,
        "posts",
        {
            "title": "Alice's draft",
            "views": 3,
            "author": ids["alice"],
            "parent": ids["p1"],
            "related": [ids["p2"], ids["p1"]],
            "tags": [ids["tag_blue"]],
            "meta": "a string",
        },
    )
    ids["p4"] = _create(
        http,
        "posts",
        {"title": "Anonymous notice", "published": True, "views": 100, "kinds": ["c"]},
    )
    _ok(http.patch(f"/api/collections/users/records/{ids['alice']}", json={"favorite": ids["p1"]}))


def sign_in(base: str, collection: str, email: str, password: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{base}/api/collections/{collection}/auth-with-password",
        json={"identity": email, "password": password},
        timeout=30,
    )
    return _ok(answer)


def observe(base: str, superuser_token: str, world: World) -> dict[str, Any]:
    """The answers that must match: lists, views, expand, filters, sorts, rules, sign-in."""
    alice = sign_in(base, "users", "alice@example.com", PASSWORDS["alice@example.com"])
    bob = sign_in(base, "users", "bob@example.com", PASSWORDS["bob@example.com"])
    as_super = {"Authorization": superuser_token}
    as_alice = {"Authorization": alice["token"]}
    ids = world.ids
    calls: dict[str, tuple[str, dict[str, Any], dict[str, str]]] = {
        "posts_super": (
            "/api/collections/posts/records",
            {"expand": EXPAND, "sort": "-views,title", "perPage": 50},
            as_super,
        ),
        "posts_guest": ("/api/collections/posts/records", {"sort": "title"}, {}),
        "posts_alice_filter": (
            "/api/collections/posts/records",
            {"filter": "views > 5 || tags.label ?= 'blue'", "sort": "created,id", "expand": "tags"},
            as_alice,
        ),
        "post_view": (
            f"/api/collections/posts/records/{ids['p3']}",
            {"expand": "author,tags,parent,related"},
            as_alice,
        ),
        "tags": ("/api/collections/tags/records", {"sort": "-label"}, {}),
        "view": ("/api/collections/post_titles/records", {"sort": "title"}, {}),
        "users_super": ("/api/collections/users/records", {"sort": "email"}, as_super),
        "users_alice": ("/api/collections/users/records", {"expand": "favorite"}, as_alice),
        "superusers": ("/api/collections/_superusers/records", {"sort": "email"}, as_super),
    }
    out: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=30) as http:
        for name, (path, params, headers) in calls.items():
            out[name] = _ok(http.get(path, params=params, headers=headers))
        for name in ("tags", "posts", "users", "post_titles"):
            out[f"schema_{name}"] = _ok(http.get(f"/api/collections/{name}", headers=as_super))
        settings = _ok(http.get("/api/settings", headers=as_super))
        out["settings_meta"] = {key: settings["meta"][key] for key in META}
    out["alice_record"] = alice["record"]
    out["bob_record"] = bob["record"]
    return out
