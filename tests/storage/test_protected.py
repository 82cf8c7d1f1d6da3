"""Protected files and file tokens (wire-api §5, §9): only ``?token=`` grants access."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from tests.cast import Cast

pytestmark = pytest.mark.django_db


def file_token(api: Any, auth_token: str) -> str:
    response = api.post("/api/files/token", token=auth_token)
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def vault(make_collection: Any, capi: Any, cast: Cast, storage: Any) -> dict:
    """An owner-only collection with a protected and a public file field."""
    make_collection(
        {
            "name": "vault",
            "type": "base",
            "viewRule": "owner = @request.auth.id",
            "fields": [
                {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"},
                {"name": "doc", "type": "file", "maxSelect": 1, "protected": True},
                {"name": "cover", "type": "file", "maxSelect": 1},
            ],
        }
    )
    response = capi.post(
        "/api/collections/vault/records",
        json={"owner": cast.owner_id},
        files={"doc": ("secret.txt", b"top secret"), "cover": ("cover.txt", b"public")},
        token=cast.superuser,
    )
    assert response.status_code == 200, response.content
    return response.json()


def _url(record: dict, field: str) -> str:
    return f"/api/files/{record['collectionId']}/{record['id']}/{record[field]}"


# (description, how to ask: function of (api, cast) -> request kwargs, expected status)
PROTECTED_SCENARIOS = [
    ("guest without a token", lambda api, cast: {}, 404),
    ("the owner's Authorization header alone", lambda api, cast: {"token": cast.owner}, 404),
    (
        "the owner's file token",
        lambda api, cast: {"query": {"token": file_token(api, cast.owner)}},
        200,
    ),
    (
        "another user's file token",
        lambda api, cast: {"query": {"token": file_token(api, cast.other)}},
        404,
    ),
    (
        "a superuser's file token",
        lambda api, cast: {"query": {"token": file_token(api, cast.superuser)}},
        200,
    ),
    ("an auth token in ?token=", lambda api, cast: {"query": {"token": cast.owner}}, 404),
    ("a garbage token", lambda api, cast: {"query": {"token": "abc.def.ghi"}}, 404),
]


@pytest.mark.parametrize(
    "ask, status", [s[1:] for s in PROTECTED_SCENARIOS], ids=[s[0] for s in PROTECTED_SCENARIOS]
)
def test_protected_file(api: Any, cast: Cast, vault: dict, ask: Any, status: int) -> None:
    response = api.get(_url(vault, "doc"), **ask(api, cast))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == b"top secret"
        assert response["Cache-Control"].startswith("private")
    else:
        assert response.json()["status"] == 404


def test_unprotected_file_ignores_the_view_rule(api: Any, vault: dict) -> None:
    """As on the peer: only protected fields consult the viewRule (public avatars)."""
    response = api.get(_url(vault, "cover"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"public"


def test_public_view_rule_serves_protected_files_without_token(
    capi: Any, docs: dict, storage: Any
) -> None:
    record = capi.post("/api/collections/docs/records", files={"secret": ("s.txt", b"open")}).json()
    response = capi.get(_url(record, "secret"))
    assert response.status_code == 200


def test_locked_view_rule(make_collection: Any, capi: Any, cast: Cast, storage: Any) -> None:
    make_collection(
        {
            "name": "locked",
            "type": "base",
            "fields": [{"name": "doc", "type": "file", "maxSelect": 1, "protected": True}],
        }
    )
    record = capi.post(
        "/api/collections/locked/records", files={"doc": ("d.txt", b"d")}, token=cast.superuser
    ).json()
    user = capi.get(_url(record, "doc"), query={"token": file_token(capi, cast.owner)})
    assert user.status_code == 404
    superuser = capi.get(_url(record, "doc"), query={"token": file_token(capi, cast.superuser)})
    assert superuser.status_code == 200


def test_file_token_endpoint(api: Any, cast: Cast) -> None:
    guest = api.post("/api/files/token")
    assert guest.status_code == 401
    assert guest.json() == {
        "status": 401,
        "message": "The request requires valid record authorization token.",
        "data": {},
    }
    claims = jwt.decode(file_token(api, cast.owner), options={"verify_signature": False})
    assert claims["type"] == "file"
    assert claims["id"] == cast.owner_id
    assert claims["collectionId"] == "_pb_users_auth_"
    assert 0 < claims["exp"] - __import__("time").time() <= 180
