"""API keys (beyond the peer): created by superusers, shown once, scoped, revocable."""

from __future__ import annotations

import pytest

from baas.auth.models import ApiKey

KEYS = "/api/x/api-keys"


@pytest.fixture
def notes(make_collection):
    return make_collection(
        {
            "name": "notes",
            "type": "base",
            "fields": [{"name": "title", "type": "text"}],
        }
    )


def _key(api, cast, **body) -> dict:
    response = api.post(KEYS, json={"name": "ci", **body}, token=cast.superuser)
    assert response.status_code == 200, response.content
    return response.json()


def test_only_superusers_manage_keys(api, cast):
    assert api.get(KEYS).status_code == 401
    assert api.get(KEYS, token=cast.owner).status_code == 403
    assert api.post(KEYS, json={"name": "x"}, token=cast.owner).status_code == 403


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"name": "k", "actions": ["explode"]}, "actions"),
        ({"name": "k", "collections": "notes"}, "collections"),
        ({"name": "k", "duration": -5}, "duration"),
    ],
)
def test_invalid_keys_are_refused(api, cast, body, field):
    response = api.post(KEYS, json=body, token=cast.superuser)
    assert response.status_code == 400
    assert field in response.json()["data"]


def test_key_is_shown_once_and_stored_hashed(api, cast):
    created = _key(api, cast)
    assert created["key"].startswith(f"baas_{created['id']}_")
    listed = api.get(KEYS, token=cast.superuser).json()
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]
    stored = ApiKey.objects.get(id=created["id"])
    assert created["key"] not in str(stored.__dict__)


def test_unscoped_key_is_a_superuser(api, cast, notes):
    key = _key(api, cast)["key"]
    made = api.post("/api/collections/notes/records", json={"title": "hi"}, token=key)
    assert made.status_code == 200, made.content
    assert api.get("/api/collections", token=key).status_code == 200
    # but it is not an auth record: no refresh, no impersonation, no key management
    assert api.post("/api/collections/users/auth-refresh", token=key).status_code == 401
    assert (
        api.post(
            f"/api/collections/users/impersonate/{cast.owner_id}", json={}, token=key
        ).status_code
        == 403
    )
    assert api.get(KEYS, token=key).status_code == 403


def test_scopes_limit_collections_and_actions(api, cast, notes):
    key = _key(api, cast, collections=["notes"], actions=["list", "view", "create"])["key"]
    records = "/api/collections/notes/records"
    made = api.post(records, json={"title": "a"}, token=key)
    assert made.status_code == 200, made.content
    record_id = made.json()["id"]
    assert api.get(records, token=key).json()["totalItems"] == 1
    assert api.get(f"{records}/{record_id}", token=key).status_code == 200
    assert api.patch(f"{records}/{record_id}", json={"title": "b"}, token=key).status_code == 403
    assert api.delete(f"{records}/{record_id}", token=key).status_code == 403
    assert api.get("/api/collections/users/records", token=key).status_code == 403
    assert api.get("/api/collections", token=key).status_code == 403  # not a records path
    denied = api.get("/api/collections/users/records", token=key).json()
    assert denied["message"] == "The API key does not allow this request."


def test_revoked_expired_and_forged_keys_are_guests(api, cast, notes):
    created = _key(api, cast)
    key = created["key"]
    assert api.get("/api/collections", token=key).status_code == 200
    assert api.delete(f"{KEYS}/{created['id']}", token=cast.superuser).status_code == 204
    assert api.delete(f"{KEYS}/{created['id']}", token=cast.superuser).status_code == 404
    assert api.get("/api/collections", token=key).status_code == 401
    expiring = _key(api, cast, duration=1)["key"]
    ApiKey.objects.update(expires="2000-01-01T00:00:00Z")
    assert api.get("/api/collections", token=expiring).status_code == 401
    live = _key(api, cast)["key"]
    forged = live[:-4] + ("AAAA" if not live.endswith("AAAA") else "BBBB")
    assert api.get("/api/collections", token=forged).status_code == 401
