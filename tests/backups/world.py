"""A small instance worth backing up: collections of every kind, users, records, files."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from tests.reliability.live import PASSWORD, Instance

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclass
class World:
    users: dict[str, str] = field(default_factory=dict)  # email -> id
    posts: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # "<record id>/<name>" -> bytes


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, f"{answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


def build(live: Instance) -> World:
    world = World()
    ok(
        live.api(
            "POST",
            "/api/collections",
            json={
                "name": "posts",
                "listRule": "",
                "viewRule": "",
                "fields": [
                    {"name": "title", "type": "text", "required": True},
                    {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
                    {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_"},
                    {"name": "doc", "type": "file", "maxSelect": 1},
                    {"name": "pics", "type": "file", "maxSelect": 3, "thumbs": ["10x10"]},
                ],
            },
        )
    )
    ok(
        live.api(
            "POST",
            "/api/collections",
            json={
                "name": "titles",
                "type": "view",
                "listRule": "",
                "viewQuery": "SELECT id, title FROM posts",
            },
        )
    )
    for email in ("ann@example.com", "bob@example.com"):
        user = ok(
            live.api(
                "POST",
                "/api/collections/users/records",
                json={"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD},
            )
        )
        world.users[email] = user["id"]
    for index, author in enumerate(world.users.values()):
        post = ok(
            live.api(
                "POST",
                "/api/collections/posts/records",
                data={"title": f"post {index}", "author": author, "tags": ["a", "c"]},
                files=[
                    ("doc", (f"doc{index}.txt", f"document {index}".encode(), "text/plain")),
                    ("pics", ("one.png", PNG, "image/png")),
                    ("pics", ("two.png", PNG + bytes([index]), "image/png")),
                ],
            )
        )
        world.posts.append(post)
        world.files[f"{post['id']}/{post['doc']}"] = f"document {index}".encode()
        world.files[f"{post['id']}/{post['pics'][0]}"] = PNG
        world.files[f"{post['id']}/{post['pics'][1]}"] = PNG + bytes([index])
    # a thumb exists too (generated on first request)
    first = world.posts[0]
    thumb = live.api("GET", f"/api/files/posts/{first['id']}/{first['pics'][0]}?thumb=10x10")
    assert thumb.status_code == 200
    return world


def check(live: Instance, world: World) -> None:
    """Everything ``build`` made is there: schema, records, users, files."""
    names = {c["name"] for c in ok(live.api("GET", "/api/collections?perPage=200"))["items"]}
    assert {"posts", "titles", "users", "_superusers"} <= names
    listed = ok(live.api("GET", "/api/collections/posts/records?sort=title"))["items"]
    assert [_comparable(p) for p in listed] == [
        _comparable(p) for p in sorted(world.posts, key=lambda p: p["title"])
    ]
    titles = ok(live.api("GET", "/api/collections/titles/records?sort=title"))["items"]
    assert [t["title"] for t in titles] == [p["title"] for p in world.posts]
    for email in world.users:
        assert live.sign_in("users", email)
    for path, content in world.files.items():
        answer = live.api("GET", f"/api/files/posts/{path}")
        assert answer.status_code == 200, path
        assert answer.content == content, path


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "expand"}
