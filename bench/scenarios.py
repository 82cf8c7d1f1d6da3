"""The HTTP scenarios: what each one sends, and a one-request probe before wrk runs it.

A scenario whose probe does not answer 2xx on a server is reported as
``n/a (endpoint missing: <status>)`` for that server instead of being measured.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from bench import dataset
from bench.dataset import Dataset
from bench.wrk import Request

FILTER = "views > 500 && published = true"
MULTIPART_BOUNDARY = "----baasbenchboundary7MA4YWxkTrZu0gW"


@dataclass
class Scenario:
    key: str
    label: str
    build: Callable[[Dataset, Path], Request | str]  # a Request, or why it can't run
    # Slow on the peer without indexes (tens of req/s, seconds of p99): these get
    # longer runs, or c=64 would finish a handful of requests per run.
    slow: bool = False


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _view(data: Dataset, d: Path) -> Request | str:
    if not data.post_ids:
        return "no posts were seeded"
    paths = [f"/api/collections/posts/records/{i}" for i in data.post_ids]
    return Request("GET", _lines(d / "view.paths", paths))


def _list_sorted(data: Dataset, d: Path) -> Request | str:
    if not data.post_ids:
        return "no posts were seeded"
    return Request(
        "GET",
        _lines(d / "sorted.paths", ["/api/collections/posts/records?perPage=30&sort=-created"]),
    )


def _list_filter(data: Dataset, d: Path) -> Request | str:
    if not data.post_ids:
        return "no posts were seeded"
    path = f"/api/collections/posts/records?perPage=30&filter={quote(FILTER)}"
    return Request("GET", _lines(d / "filter.paths", [path]))


def _list_owner(data: Dataset, d: Path) -> Request | str:
    if not data.owned_ids or not data.user_tokens:
        return "no owned posts or user tokens"
    return Request(
        "GET",
        _lines(
            d / "owner.paths", ["/api/collections/owned_posts/records?perPage=30&sort=-created"]
        ),
        tokens=_lines(d / "owner.tokens", data.user_tokens),
    )


def _create(data: Dataset, d: Path) -> Request | str:
    if not data.user_ids:
        return "no users were seeded"
    rng = random.Random(5)
    bodies = [
        json.dumps(dataset.post_body(rng, rng.choice(data.user_ids)), separators=(",", ":"))
        for _ in range(200)
    ]
    return Request(
        "POST",
        _lines(d / "create.paths", ["/api/collections/posts_write/records"]),
        bodies=_lines(d / "create.bodies", bodies),
        content_type="application/json",
    )


def _update(data: Dataset, d: Path) -> Request | str:
    if not data.post_ids:
        return "no posts were seeded"
    # Only the title changes, so the read scenarios keep seeing the same rows.
    paths = [f"/api/collections/posts/records/{i}" for i in data.post_ids]
    bodies = [json.dumps({"title": f"updated title {n}"}) for n in range(200)]
    return Request(
        "PATCH",
        _lines(d / "update.paths", paths),
        bodies=_lines(d / "update.bodies", bodies),
        content_type="application/json",
    )


def _auth(data: Dataset, d: Path) -> Request | str:
    if not data.user_emails:
        return "no users were seeded"
    bodies = [
        json.dumps({"identity": e, "password": dataset.USER_PASSWORD}) for e in data.user_emails
    ]
    return Request(
        "POST",
        _lines(d / "auth.paths", ["/api/collections/users/auth-with-password"]),
        bodies=_lines(d / "auth.bodies", bodies),
        content_type="application/json",
    )


def multipart_body() -> bytes:
    b = MULTIPART_BOUNDARY.encode()
    return b"".join(
        [
            b"--" + b + b'\r\nContent-Disposition: form-data; name="title"\r\n\r\nbench upload\r\n',
            b"--" + b + b'\r\nContent-Disposition: form-data; name="doc"; filename="bench.txt"\r\n',
            b"Content-Type: text/plain\r\n\r\n",
            dataset.file_payload(),
            b"\r\n--" + b + b"--\r\n",
        ]
    )


def _upload(data: Dataset, d: Path) -> Request | str:
    if "files" in data.problems and not data.file_paths:
        return data.problems["files"]
    body = d / "upload.body"
    body.write_bytes(multipart_body())
    return Request(
        "POST",
        _lines(d / "upload.paths", ["/api/collections/files/records"]),
        body=body,
        content_type=f"multipart/form-data; boundary={MULTIPART_BOUNDARY}",
    )


def _download(data: Dataset, d: Path) -> Request | str:
    if not data.file_paths:
        return data.problems.get("files", "no files were uploaded")
    return Request("GET", _lines(d / "download.paths", data.file_paths))


SCENARIOS = [
    Scenario("view", "view record by id", _view),
    Scenario("list_sorted", "list `perPage=30&sort=-created`", _list_sorted, slow=True),
    Scenario(
        "list_filter", "list `filter=views > 500 && published = true`", _list_filter, slow=True
    ),
    Scenario("list_owner", "list under owner rule (signed in)", _list_owner, slow=True),
    Scenario("create", "create record (JSON)", _create),
    Scenario("update", "update record (JSON)", _update),
    Scenario("auth", "`auth-with-password`", _auth, slow=True),
    Scenario("upload", "file upload (32 KB, multipart create)", _upload),
    Scenario("download", "file download (32 KB)", _download),
]
BY_KEY = {s.key: s for s in SCENARIOS}
LIST_SCENARIOS = ("list_sorted", "list_filter", "list_owner")


def probe(base: str, request: Request) -> tuple[str | None, dict[str, Any]]:
    """Send the scenario's first request once: (None, facts) when it answers 2xx, else (why, {})."""
    path = request.paths.read_text().splitlines()[0]
    headers = {}
    if request.tokens:
        headers["Authorization"] = request.tokens.read_text().splitlines()[0]
    content: bytes | None = None
    if request.bodies:
        content = request.bodies.read_text().splitlines()[0].encode()
    elif request.body:
        content = request.body.read_bytes()
    if request.content_type:
        headers["Content-Type"] = request.content_type
    try:
        r = httpx.request(request.method, base + path, headers=headers, content=content, timeout=60)
    except httpx.HTTPError as exc:
        return f"endpoint failing: {type(exc).__name__}", {}
    if not 200 <= r.status_code < 300:
        return f"endpoint missing: {r.status_code}", {}
    facts: dict[str, Any] = {"bytes": len(r.content)}
    if r.headers.get("content-type", "").startswith("application/json"):
        body = r.json()
        if isinstance(body, dict) and "items" in body:
            facts["items"] = len(body["items"])
            facts["totalItems"] = body.get("totalItems")
    return None, facts
