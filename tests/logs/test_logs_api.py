"""Request logs (wire-api §7.4): one entry per API request, superuser-only endpoints."""

from __future__ import annotations

import pytest

from baas.logs import writer


def _logs(api, token, **query):
    response = api.get("/api/logs", token=token, query=query)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("path", ["/api/logs", "/api/logs/stats", "/api/logs/x"])
@pytest.mark.parametrize("who, status", [("guest", 401), ("owner", 403)])
def test_only_superusers_read_logs(api, cast, path, who, status):
    token = None if who == "guest" else cast.owner
    assert api.get(path, token=token).status_code == status


def test_each_api_request_is_an_entry_shaped_like_the_peers(api, superuser_token):
    api.get("/api/collections/nope/records", headers={"User-Agent": "probe/1"})
    api.get("/api/health", token=superuser_token)
    items = _logs(api, superuser_token)["items"]
    failed = next(i for i in items if i["message"] == "GET /api/collections/nope/records")
    assert failed["level"] == 8
    assert failed["data"]["status"] == 404
    assert failed["data"]["error"] == "Missing collection context."
    assert failed["data"]["auth"] == ""
    assert failed["data"]["userAgent"] == "probe/1"
    assert failed["data"]["type"] == "request"
    assert failed["data"]["method"] == "GET"
    assert failed["data"]["remoteIP"] == "127.0.0.1"
    assert isinstance(failed["data"]["execTime"], float)
    assert len(failed["id"]) == 15
    assert failed["created"].endswith("Z") and failed["created"][10] == " "
    ok = next(i for i in items if i["message"] == "GET /api/health")
    assert ok["level"] == 0
    assert ok["data"]["auth"] == "_superusers"
    assert "error" not in ok["data"]


def test_pages_are_list_envelopes_newest_first(api, superuser_token):
    for _ in range(3):
        api.get("/api/health")
    page = _logs(api, superuser_token, perPage=2)
    assert page["perPage"] == 2
    assert page["totalItems"] >= 3
    assert len(page["items"]) == 2
    assert page["items"][0]["created"] >= page["items"][1]["created"]


def test_one_entry_by_id_and_a_404_for_unknown_ids(api, superuser_token):
    api.get("/api/health")
    entry = _logs(api, superuser_token)["items"][0]
    found = api.get(f"/api/logs/{entry['id']}", token=superuser_token)
    assert found.status_code == 200
    assert found.json() == entry
    assert api.get("/api/logs/zzzzzzzzzzzzzzz", token=superuser_token).status_code == 404


def test_stats_count_entries_per_hour(api, superuser_token):
    for _ in range(3):
        api.get("/api/health")
    stats = api.get("/api/logs/stats", token=superuser_token).json()
    assert len(stats) == 1
    assert stats[0]["date"].endswith(":00:00.000Z")
    assert stats[0]["total"] >= 3


def test_delete_removes_every_entry(api, superuser_token):
    api.get("/api/health")
    assert api.delete("/api/logs", token=superuser_token).status_code == 204
    writer.flush()
    remaining = _logs(api, superuser_token)["items"]
    # Only the DELETE itself (logged after it ran) and the GET that reads may remain.
    assert {i["message"] for i in remaining} <= {"DELETE /api/logs"}


def test_settings_decide_what_is_logged(api, superuser_token):
    api.patch(
        "/api/settings",
        json={"logs": {"minLevel": 8, "logIP": False, "logAuthId": True}},
        token=superuser_token,
    )
    api.delete("/api/logs", token=superuser_token)
    api.get("/api/health")
    api.get("/api/collections/nope/records", token=superuser_token)
    items = _logs(api, superuser_token)["items"]
    assert [i["message"] for i in items] == ["GET /api/collections/nope/records"]
    assert "remoteIP" not in items[0]["data"]
    assert items[0]["data"]["authId"]

    api.patch("/api/settings", json={"logs": {"maxDays": 0}}, token=superuser_token)
    api.delete("/api/logs", token=superuser_token)
    api.get("/api/collections/nope/records")
    assert _logs(api, superuser_token)["items"] == []


def test_console_pages_are_not_api_requests(api, superuser_token):
    api.get("/_/static/admin_ui/htmx.min.js")
    assert not any("/_/" in i["message"] for i in _logs(api, superuser_token)["items"])
