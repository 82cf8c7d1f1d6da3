"""The data set, made the same way on every server: through the HTTP API only.

- ``users``: the default auth collection, 50 users (password sign-in);
- ``posts``: public (every rule ""), 10,000 records;
- ``owned_posts``: same fields, list/view/update/delete rule ``author = @request.auth.id``,
  10,000 records spread over the 50 users;
- ``posts_write``: same fields, public, empty: the create scenario and the realtime
  writes go here, so the read scenarios always see the same 10,000 rows;
- ``files``: public, one file field; 20 seeded records for the download scenario.

Values come from a seeded RNG and ids are given explicitly, so both servers hold the
same rows (only the autodates differ).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import string
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

SUPERUSER = ("bench@example.com", "bench-password-123")
N_USERS = 50
N_POSTS = 10_000
N_FILES = 20
USER_PASSWORD = "bench-user-password-1"
OWNER_RULE = "author = @request.auth.id"
TAGS = ["news", "tech", "life", "art", "sport", "food", "travel", "music"]
INDEXES = [("created", "created"), ("author_created", "author, created"), ("views", "views")]
FILE_BYTES = 32 * 1024
WORDS = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
]


@dataclass
class Dataset:
    """What the scenarios need to know about one server's data."""

    token: str = ""  # superuser
    user_ids: list[str] = field(default_factory=list)
    user_emails: list[str] = field(default_factory=list)
    user_tokens: list[str] = field(default_factory=list)
    post_ids: list[str] = field(default_factory=list)
    owned_ids: list[str] = field(default_factory=list)
    file_paths: list[str] = field(default_factory=list)  # /api/files/... of seeded files
    problems: dict[str, str] = field(default_factory=dict)  # step -> why it failed (short)
    details: dict[str, str] = field(default_factory=dict)  # step -> the answer that failed

    def fail(self, step: str, short: str, detail: str = "") -> None:
        self.problems[step] = short
        if detail:
            self.details[step] = detail[:500]


def record_id(prefix: str, n: int) -> str:
    """15 chars of [a-z0-9], as both servers require for given ids."""
    return f"{prefix}{n:0{15 - len(prefix)}d}"


def post_fields(users_id: str) -> list[dict[str, Any]]:
    return [
        {"name": "title", "type": "text", "max": 200},
        {"name": "body", "type": "text", "max": 5000},
        {"name": "views", "type": "number", "onlyInt": True},
        {"name": "published", "type": "bool"},
        {
            "name": "author",
            "type": "relation",
            "collectionId": users_id,
            "maxSelect": 1,
            "cascadeDelete": False,
        },
        {"name": "tags", "type": "select", "maxSelect": len(TAGS), "values": TAGS},
        {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
        {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
    ]


def collection_bodies(users_id: str) -> list[dict[str, Any]]:
    public = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}
    owned = {
        "listRule": OWNER_RULE,
        "viewRule": OWNER_RULE,
        "createRule": "@request.auth.id != ''",
        "updateRule": OWNER_RULE,
        "deleteRule": OWNER_RULE,
    }
    return [
        {"name": "posts", "type": "base", **public, "fields": post_fields(users_id)},
        {"name": "owned_posts", "type": "base", **owned, "fields": post_fields(users_id)},
        {"name": "posts_write", "type": "base", **public, "fields": post_fields(users_id)},
        {
            "name": "files",
            "type": "base",
            **public,
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 5 * 1024 * 1024},
                {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
            ],
        },
    ]


def index_sql(collection: str) -> list[str]:
    return [
        f"CREATE INDEX idx_{collection}_{name} ON {collection} ({cols})" for name, cols in INDEXES
    ]


def post_body(rng: random.Random, author: str, *, title: str | None = None) -> dict[str, Any]:
    text: list[str] = []
    while sum(len(w) + 1 for w in text) < 400:
        text.append(rng.choice(WORDS))
    return {
        "title": title or " ".join(rng.choice(WORDS) for _ in range(5)),
        "body": " ".join(text)[:400],
        "views": rng.randint(0, 1000),
        "published": rng.random() < 0.5,
        "author": author,
        "tags": sorted(rng.sample(TAGS, rng.randint(0, 3))),
    }


def file_payload() -> bytes:
    rng = random.Random(7)
    return "".join(rng.choice(string.ascii_letters) for _ in range(FILE_BYTES)).encode()


class Seeder:
    def __init__(self, base: str, concurrency: int = 16):
        self.base = base
        self.concurrency = concurrency

    def run(self, progress: Any = print) -> Dataset:
        return asyncio.run(self._run(progress))

    async def _run(self, progress: Any) -> Dataset:
        data = Dataset()
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(base_url=self.base, timeout=60, limits=limits) as client:
            email, password = SUPERUSER
            r = await client.post(
                "/api/collections/_superusers/auth-with-password",
                json={"identity": email, "password": password},
            )
            if r.status_code != 200:
                data.fail("superuser", f"superuser sign-in {r.status_code}", r.text)
                return data
            data.token = r.json()["token"]
            h = {"Authorization": data.token}
            r = await client.get("/api/collections/users", headers=h)
            if r.status_code != 200:
                data.fail("collections", f"GET users collection {r.status_code}", r.text)
                return data
            users_id = r.json()["id"]
            for body in collection_bodies(users_id):
                r = await client.post("/api/collections", json=body, headers=h)
                if r.status_code != 200:
                    data.fail(body["name"], f"create collection {r.status_code}", r.text)
            await self._users(client, h, data)
            progress(f"    {len(data.user_ids)} users")
            rng = random.Random(42)
            if "posts" not in data.problems and data.user_ids:
                data.post_ids = await self._posts(client, h, "posts", "p", rng, data)
            if "owned_posts" not in data.problems and data.user_ids:
                data.owned_ids = await self._posts(client, h, "owned_posts", "o", rng, data)
            progress(f"    {len(data.post_ids)} posts, {len(data.owned_ids)} owned posts")
            if "files" not in data.problems:
                await self._files(client, h, data)
        return data

    async def _gather(self, coros: list[Any]) -> list[Any]:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(c: Any) -> Any:
            async with gate:
                return await c

        return await asyncio.gather(*(one(c) for c in coros))

    async def _users(self, client: httpx.AsyncClient, h: dict[str, str], data: Dataset) -> None:
        async def make(n: int) -> tuple[str, str, int, str]:
            uid = record_id("u", n)
            email = f"user{n}@bench.example.com"
            r = await client.post(
                "/api/collections/users/records",
                json={
                    "id": uid,
                    "email": email,
                    "password": USER_PASSWORD,
                    "passwordConfirm": USER_PASSWORD,
                    "name": f"User {n}",
                    "verified": True,
                },
                headers=h,
            )
            return uid, email, r.status_code, r.text[:200]

        made = await self._gather([make(n) for n in range(N_USERS)])
        for uid, email, status, text in made:
            if status == 200:
                data.user_ids.append(uid)
                data.user_emails.append(email)
            else:
                data.fail("users", f"create user {status}", text)

        async def sign_in(email: str) -> str | None:
            r = await client.post(
                "/api/collections/users/auth-with-password",
                json={"identity": email, "password": USER_PASSWORD},
            )
            return r.json().get("token") if r.status_code == 200 else None

        tokens = await self._gather([sign_in(e) for e in data.user_emails])
        data.user_tokens = [t for t in tokens if t]
        if len(data.user_tokens) != len(data.user_emails):
            data.fail(
                "user sign-in", f"{len(data.user_tokens)}/{len(data.user_emails)} users signed in"
            )

    async def _posts(
        self,
        client: httpx.AsyncClient,
        h: dict[str, str],
        collection: str,
        prefix: str,
        rng: random.Random,
        data: Dataset,
    ) -> list[str]:
        bodies = []
        for n in range(N_POSTS):
            body = post_body(rng, data.user_ids[n % len(data.user_ids)])
            body["id"] = record_id(prefix, n)
            bodies.append(body)
        payloads = [json.dumps(b, separators=(",", ":")).encode() for b in bodies]
        answers = await asyncio.to_thread(
            bulk_post,
            self.base,
            f"/api/collections/{collection}/records",
            payloads,
            h,
            self.concurrency,
        )
        ids = [b["id"] for b, (status, _) in zip(bodies, answers, strict=True) if status == 200]
        failures = [f"{status}: {text[:300]}" for status, text in answers if status != 200]
        if failures:
            data.fail(
                f"{collection} records", f"{len(failures)} creates failed", f"e.g. {failures[0]}"
            )
        return ids

    async def _files(self, client: httpx.AsyncClient, h: dict[str, str], data: Dataset) -> None:
        payload = file_payload()
        for n in range(N_FILES):
            r = await client.post(
                "/api/collections/files/records",
                data={"title": f"file {n}"},
                files={"doc": ("bench.txt", payload, "text/plain")},
                headers=h,
            )
            if r.status_code != 200:
                data.fail("files", f"seeding upload {r.status_code}", r.text)
                return
            rec = r.json()
            name = rec.get("doc")
            if isinstance(name, list):
                name = name[0] if name else ""
            if not name:
                data.fail("files", "upload answered without a file name", r.text)
                return
            data.file_paths.append(
                f"/api/files/{rec.get('collectionId', 'files')}/{rec['id']}/{name}"
            )


def bulk_post(
    base: str, path: str, bodies: list[bytes], headers: dict[str, str], threads: int
) -> list[tuple[int, str]]:
    """POST each JSON body over keep-alive connections from ``threads`` threads.

    Plain ``http.client``: several times cheaper per request than httpx's async
    client, which made seeding 20,000 records client-bound.
    """
    url = urlsplit(base)
    local = threading.local()
    send_headers = {**headers, "Content-Type": "application/json"}

    def one(body: bytes) -> tuple[int, str]:
        for attempt in range(2):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(
                    url.hostname or "127.0.0.1", url.port, timeout=60
                )
            try:
                conn.request("POST", path, body=body, headers=send_headers)
                r = conn.getresponse()
                text = r.read()
                return r.status, text.decode(errors="replace")
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                local.conn = None
                if attempt:
                    return 0, f"{type(exc).__name__}: {exc}"
        return 0, "unreachable"

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, bodies))


def add_indexes(base: str, token: str) -> dict[str, str]:
    """Set the same explicit indexes on both read collections; returns problems."""
    problems = {}
    with httpx.Client(base_url=base, timeout=300, headers={"Authorization": token}) as client:
        for name in ("posts", "owned_posts"):
            r = client.patch(f"/api/collections/{name}", json={"indexes": index_sql(name)})
            if r.status_code != 200:
                problems[name] = f"indexes {r.status_code}: {r.text[:300]}"
    return problems
