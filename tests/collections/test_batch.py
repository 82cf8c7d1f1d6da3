"""``POST /api/batch`` (wire-api §7.1): one transaction, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def notes(api: Any, cast: Any, make_collection: Any) -> Any:
    make_collection(
        {
            "name": "notes",
            "listRule": "",
            "viewRule": "",
            "createRule": "@request.auth.id != ''",
            "updateRule": "owner = @request.auth.id",
            "deleteRule": "owner = @request.auth.id",
            "fields": [
                {"name": "title", "type": "text", "required": True},
                {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"},
            ],
        }
    )
    return cast


def enable(api: Any, token: str, **batch: Any) -> None:
    response = api.patch("/api/settings", json={"batch": {"enabled": True, **batch}}, token=token)
    assert response.status_code == 200, response.content


def count(api: Any, token: str) -> int:
    return api.get("/api/collections/notes/records", token=token).json()["totalItems"]


def test_disabled_by_default(api: Any, notes: Any) -> None:
    response = api.post(
        "/api/batch",
        json={
            "requests": [
                {"method": "POST", "url": "/api/collections/notes/records", "body": {"title": "x"}}
            ]
        },
        token=notes.owner,
    )
    assert response.status_code == 403
    assert response.json()["message"] == "Batch requests are not allowed."


@pytest.mark.parametrize(
    "body, data",
    [
        ({}, {"requests": {"code": "validation_required", "message": "Cannot be blank."}}),
        (
            {"requests": []},
            {"requests": {"code": "validation_required", "message": "Cannot be blank."}},
        ),
        (
            {"requests": [{"method": "POST", "url": "/api/collections/notes/records"}] * 4},
            {
                "requests": {
                    "code": "validation_length_too_long",
                    "message": "The length must be no more than 3.",
                    "params": {"max": 3, "min": 0},
                }
            },
        ),
    ],
)
def test_envelope_validation(api: Any, notes: Any, body: Any, data: Any) -> None:
    enable(api, notes.superuser, maxRequests=3)
    response = api.post("/api/batch", json=body, token=notes.owner)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid batch request data.",
        "data": data,
    }


def test_all_succeed(api: Any, notes: Any) -> None:
    enable(api, notes.superuser)
    requests = [
        {
            "method": "POST",
            "url": "/api/collections/notes/records?fields=id,title",
            "body": {"id": "note1aaaaaaaaaa", "title": "a", "owner": notes.owner_id},
        },
        {
            "method": "PATCH",
            "url": "/api/collections/notes/records/note1aaaaaaaaaa",
            "body": {"title": "b"},
        },
        {
            "method": "PUT",
            "url": "/api/collections/notes/records",
            "body": {"id": "note2aaaaaaaaaa", "title": "upserted", "owner": notes.owner_id},
        },
        {
            "method": "PUT",
            "url": "/api/collections/notes/records",
            "body": {"id": "note2aaaaaaaaaa", "title": "again"},
        },
        {"method": "DELETE", "url": "/api/collections/notes/records/note1aaaaaaaaaa"},
    ]
    response = api.post("/api/batch", json={"requests": requests}, token=notes.owner)
    assert response.status_code == 200, response.content
    results = response.json()
    assert [r["status"] for r in results] == [200, 200, 200, 200, 204]
    assert results[0]["body"] == {"id": "note1aaaaaaaaaa", "title": "a"}
    assert results[3]["body"]["title"] == "again" and results[4]["body"] is None
    assert count(api, notes.superuser) == 1


def test_one_failure_rolls_back_everything(api: Any, notes: Any) -> None:
    enable(api, notes.superuser)
    requests = [
        {
            "method": "POST",
            "url": "/api/collections/notes/records",
            "body": {"title": "a", "owner": notes.owner_id},
        },
        {
            "method": "POST",
            "url": "/api/collections/notes/records",
            "body": {"title": "b", "owner": notes.owner_id},
        },
        {
            "method": "POST",
            "url": "/api/collections/notes/records",
            "body": {"owner": notes.owner_id},
        },
    ]
    response = api.post("/api/batch", json={"requests": requests}, token=notes.owner)
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Batch transaction failed."
    failure = body["data"]["requests"]["2"]
    assert failure["code"] == "batch_request_failed"
    assert failure["response"]["data"]["title"]["code"] == "validation_required"
    assert count(api, notes.superuser) == 0


def test_rules_apply_per_request(api: Any, notes: Any) -> None:
    enable(api, notes.superuser)
    created = api.post(
        "/api/collections/notes/records",
        json={"title": "mine", "owner": notes.owner_id},
        token=notes.owner,
    ).json()
    requests = [
        {
            "method": "PATCH",
            "url": f"/api/collections/notes/records/{created['id']}",
            "body": {"title": "stolen"},
        }
    ]
    response = api.post("/api/batch", json={"requests": requests}, token=notes.other)
    assert response.status_code == 400
    assert response.json()["data"]["requests"]["0"]["response"]["status"] == 404
    guest = api.post(
        "/api/batch",
        json={
            "requests": [
                {"method": "POST", "url": "/api/collections/notes/records", "body": {"title": "g"}}
            ]
        },
    )
    assert guest.status_code == 400
    assert api.get(f"/api/collections/notes/records/{created['id']}").json()["title"] == "mine"


@pytest.mark.parametrize(
    "method, url",
    [
        ("GET", "/api/collections/notes/records"),
        ("POST", "/api/health"),
        ("POST", "/api/collections/notes/records/x"),
        ("PATCH", "/api/collections/notes/records"),
        ("POST", "/api/collections/nope/records"),
    ],
)
def test_only_record_writes_are_allowed(api: Any, notes: Any, method: str, url: str) -> None:
    enable(api, notes.superuser)
    response = api.post(
        "/api/batch",
        json={"requests": [{"method": method, "url": url, "body": {"title": "x"}}]},
        token=notes.superuser,
    )
    assert response.status_code == 400
    assert response.json()["data"]["requests"]["0"]["code"] == "batch_request_failed"
