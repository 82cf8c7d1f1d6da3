"""A fixed world on the live server for the realtime scenarios: a superuser, an owner,
another user, and a few collections with different rules (STYLE §10)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.realtime.live import PASSWORD, Api, SSEClient

ALL_OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}


@dataclass
class World:
    base: str
    api: Api
    superuser: str
    owner: str
    other: str
    owner_id: str
    other_id: str

    def sse(self) -> SSEClient:
        return SSEClient(self.base)


def _collections(users_id: str) -> list[dict]:
    owner = {
        "name": "owner",
        "type": "relation",
        "collectionId": users_id,
        "maxSelect": 1,
    }
    return [
        {
            "name": "rt_open",
            "type": "base",
            **ALL_OPEN,
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "n", "type": "number"},
                {**owner, "name": "author"},
                {"name": "secret", "type": "text", "hidden": True},
            ],
        },
        {
            "name": "rt_notes",
            "type": "base",
            **ALL_OPEN,
            "listRule": "owner = @request.auth.id",
            "viewRule": "owner = @request.auth.id",
            "fields": [{"name": "title", "type": "text"}, owner],
        },
        {
            "name": "rt_locked",
            "type": "base",
            **ALL_OPEN,
            "listRule": None,
            "viewRule": None,
            "fields": [{"name": "title", "type": "text"}],
        },
        {
            "name": "rt_rooms",
            "type": "base",
            **ALL_OPEN,
            "listRule": "members.id ?= @request.auth.id",
            "viewRule": "members.id ?= @request.auth.id",
            "fields": [{**owner, "name": "members", "maxSelect": 5}],
        },
        {
            "name": "rt_context",
            "type": "base",
            **ALL_OPEN,
            "listRule": '@request.context = "realtime" && @request.headers.x_room = "blue"',
            "fields": [{"name": "title", "type": "text"}],
        },
    ]


@pytest.fixture(scope="session")
def world(baas_server) -> Iterator[World]:
    email = "rt-root@example.com"
    result = baas_server.cli("superuser", "upsert", email, PASSWORD)
    assert result.returncode == 0, result.stderr
    api = Api(str(baas_server))
    root = api.sign_in("_superusers", email)["token"]
    ids = {}
    for name in ("rt-owner", "rt-other"):
        body = {"email": f"{name}@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
        ids[name] = api.create("users", body, token=root)["id"]
    for collection in _collections("_pb_users_auth_"):
        api.ok("POST", "/api/collections", collection, token=root)
    children = {
        "name": "rt_children",
        "type": "base",
        **ALL_OPEN,
        "fields": [
            {
                "name": "parent",
                "type": "relation",
                "collectionId": api.ok("GET", "/api/collections/rt_open", token=root)["id"],
                "maxSelect": 1,
                "cascadeDelete": True,
            }
        ],
    }
    api.ok("POST", "/api/collections", children, token=root)
    yield World(
        base=str(baas_server),
        api=api,
        superuser=root,
        owner=api.sign_in("users", "rt-owner@example.com")["token"],
        other=api.sign_in("users", "rt-other@example.com")["token"],
        owner_id=ids["rt-owner"],
        other_id=ids["rt-other"],
    )


@pytest.fixture
def sse(world: World) -> Iterator[SSEClient]:
    """A connected SSE client, closed after the test."""
    client = world.sse()
    yield client
    client.close()


@pytest.fixture
def sse_factory(world: World) -> Iterator:
    made: list[SSEClient] = []

    def make() -> SSEClient:
        client = world.sse()
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
