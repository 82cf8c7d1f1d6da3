"""One fixture world for the security suite (STYLE §10): the fixed cast, a scoped API key,
forged and expired tokens, and collections whose rules differ, related to each other.

- ``sec_notes``: owner-only (``author = @request.auth.id``), a hidden ``secret``, a
  protected file ``doc``; the owner's note ``alpha`` and the other user's ``beta``.
- ``sec_vault``: superuser-only (every rule null), ``code``.
- ``sec_posts``: public read, owner writes; a hidden searchable ``secret``, relations to
  users, notes, the vault and (hidden) to a tag.
- ``sec_tags``: public; a relation ``note`` to notes. The API key is scoped to it.
- ``sec_members``: an auth collection anyone may list, ``emailVisibility`` false for one.

Attackers: ``guest``, ``other`` (another user), ``key`` (an API key scoped to
``sec_tags``), ``forged`` (the owner's claims signed with a wrong key), ``expired`` (a
real token of the owner, expired), ``escalated`` (the owner's token with its
collectionId switched to ``_superusers``), ``alg_none`` (the owner's claims unsigned),
and three API keys with no scope (a superuser's rights, were they valid):
``revoked_key``, ``expired_key`` and ``forged_key`` (a live key's id with a secret of
our own). Every attacker after ``key`` must count as a guest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest

from tests.cast import PASSWORD, Cast

OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}
LOCKED = {r: None for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}
MINE = "author = @request.auth.id"
SIGNED_IN = '@request.auth.id != ""'
BAD_KEYS = ("revoked_key", "expired_key", "forged_key")
ATTACKERS = ("guest", "other", "key", "forged", "expired", "escalated", "alg_none", *BAD_KEYS)
# tokens that are not valid are guests (wire-api §0)
GUESTS = ("guest", "forged", "expired", "escalated", "alg_none", *BAD_KEYS)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@dataclass
class World:
    api: Any
    cast: Cast
    tokens: dict[str, str | None]  # actor -> Authorization value
    ids: dict[str, str] = field(default_factory=dict)  # name -> record id
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def token(self, actor: str) -> str | None:
        return self.tokens[actor]

    def get(self, path: str, actor: str, **query: Any) -> Any:
        return self.api.get(path, token=self.token(actor), query=query)

    def gql(self, query: str, actor: str, **variables: Any) -> Any:
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = variables
        return self.api.post("/api/graphql", json=body, token=self.token(actor))


def _collections(users_id: str) -> dict[str, dict[str, Any]]:
    def rel(name: str, target: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "type": "relation", "collectionId": target, "maxSelect": 1, **extra}

    return {
        "sec_vault": {
            "name": "sec_vault",
            **LOCKED,
            "fields": [{"name": "code", "type": "text"}, rel("author", users_id)],
        },
        "sec_notes": {
            "name": "sec_notes",
            **{r: MINE for r in ("listRule", "viewRule", "updateRule", "deleteRule")},
            "createRule": SIGNED_IN,
            "fields": [
                {"name": "title", "type": "text", "searchable": True},
                {"name": "secret", "type": "text", "hidden": True},
                {"name": "n", "type": "number"},
                rel("author", users_id),
                {"name": "doc", "type": "file", "maxSelect": 1, "protected": True},
            ],
        },
    }


def _more(users_id: str, notes_id: str, vault_id: str, tags_id: str) -> dict[str, Any]:
    def rel(name: str, target: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "type": "relation", "collectionId": target, "maxSelect": 1, **extra}

    return {
        "name": "sec_posts",
        **OPEN,
        "createRule": SIGNED_IN,
        "updateRule": MINE,
        "deleteRule": MINE,
        "fields": [
            {"name": "title", "type": "text", "searchable": True},
            {"name": "secret", "type": "text", "hidden": True, "searchable": True},
            {"name": "n", "type": "number"},
            rel("author", users_id),
            rel("note", notes_id),
            rel("vault", vault_id),
            rel("hidden_tag", tags_id, hidden=True),
        ],
    }


@pytest.fixture
def world(api: Any, cast: Cast, make_collection: Any) -> World:
    from baas.auth import records
    from baas.auth.tokens import issue
    from baas.collections.models import SUPERUSERS_ID

    su = cast.superuser
    made = {name: make_collection(body) for name, body in _collections("_pb_users_auth_").items()}
    made["sec_tags"] = make_collection(
        {
            "name": "sec_tags",
            **OPEN,
            "fields": [
                {"name": "name", "type": "text"},
                {
                    "name": "note",
                    "type": "relation",
                    "collectionId": made["sec_notes"]["id"],
                    "maxSelect": 1,
                },
            ],
        }
    )
    made["sec_posts"] = make_collection(
        _more(
            "_pb_users_auth_",
            made["sec_notes"]["id"],
            made["sec_vault"]["id"],
            made["sec_tags"]["id"],
        )
    )
    made["sec_members"] = make_collection(
        {
            "name": "sec_members",
            "type": "auth",
            **OPEN,
            "fields": [{"name": "name", "type": "text"}],
        }
    )

    def create(collection: str, body: dict[str, Any], **kwargs: Any) -> str:
        response = api.post(f"/api/collections/{collection}/records", json=body, token=su, **kwargs)
        assert response.status_code == 200, response.content
        return str(response.json()["id"])

    ids: dict[str, str] = {}
    ids["vault"] = create("sec_vault", {"code": "zeta-code", "author": cast.owner_id})
    ids["alpha"] = create(
        "sec_notes",
        {"title": "alpha", "secret": "s3cr3t-owner", "n": 7, "author": cast.owner_id},
        files={"doc": ("doc.png", PNG, "image/png")},
    )
    ids["beta"] = create(
        "sec_notes", {"title": "beta", "secret": "other-secret", "n": 3, "author": cast.other_id}
    )
    ids["t1"] = create("sec_tags", {"name": "t1", "note": ids["alpha"]})
    ids["p1"] = create(
        "sec_posts",
        {
            "title": "hello world",
            "secret": "apricot",
            "n": 1,
            "author": cast.owner_id,
            "note": ids["alpha"],
            "vault": ids["vault"],
            "hidden_tag": ids["t1"],
        },
    )
    ids["p2"] = create(
        "sec_posts", {"title": "second post", "secret": "banana", "n": 2, "author": cast.other_id}
    )
    for name, visible in (("hidden", False), ("shown", True), ("a", True)):
        body = {
            "email": f"{name}-member@example.com",
            "password": PASSWORD,
            "passwordConfirm": PASSWORD,
            "emailVisibility": visible,
            "name": name,
        }
        ids[f"member_{name}"] = create("sec_members", body)

    batch = api.patch("/api/settings", json={"batch": {"enabled": True}}, token=su)
    assert batch.status_code == 200, batch.content
    key = api.post(
        "/api/x/api-keys",
        json={"name": "tags only", "collections": ["sec_tags"], "actions": []},
        token=su,
    )
    assert key.status_code == 200, key.content
    found = records.load("_pb_users_auth_", cast.owner_id)
    bad_keys = _bad_keys(api, su)
    assert found is not None
    users, owner_record = found
    claims = jwt.decode(cast.owner, options={"verify_signature": False})
    tokens: dict[str, str | None] = {
        "guest": None,
        "owner": cast.owner,
        "other": cast.other,
        "superuser": su,
        "key": key.json()["key"],
        "forged": jwt.encode(claims, "not-the-key-of-this-server-0123456789", algorithm="HS256"),
        "expired": issue(users, owner_record, duration=-60),
        "alg_none": jwt.encode(claims, None, algorithm="none"),
        "escalated": jwt.encode(
            {**claims, "collectionId": SUPERUSERS_ID},
            "not-the-key-of-this-server-0123456789",
            algorithm="HS256",
        ),
        **bad_keys,
    }
    return World(api=api, cast=cast, tokens=tokens, ids=ids, collections=made)


def _bad_keys(api: Any, superuser: str) -> dict[str, str | None]:
    """Unscoped keys (a superuser's rights) that must not work: revoked, expired, and a
    live key's id with a forged secret."""
    from datetime import timedelta

    from django.utils import timezone

    from baas.auth.models import ApiKey

    made = {}
    for name in BAD_KEYS:
        key = api.post(
            "/api/x/api-keys",
            json={"name": name, "collections": [], "actions": []},
            token=superuser,
        )
        assert key.status_code == 200, key.content
        made[name] = key.json()
    revoked = api.delete(f"/api/x/api-keys/{made['revoked_key']['id']}", token=superuser)
    assert revoked.status_code == 204
    ApiKey.objects.filter(id=made["expired_key"]["id"]).update(
        expires=timezone.now() - timedelta(minutes=1)
    )
    live = made["forged_key"]["key"]
    secret = "B" * 40 if live.endswith("A" * 40) else "A" * 40  # the format's 40 characters
    forged = live[:-40] + secret
    return {
        "revoked_key": made["revoked_key"]["key"],
        "expired_key": made["expired_key"]["key"],
        "forged_key": forged,
    }
