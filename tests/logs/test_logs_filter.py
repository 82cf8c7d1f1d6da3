"""Filtering and sorting logs with the expression language (wire-api §7.4)."""

from __future__ import annotations

from tests.logs.test_logs_api import _logs


def test_filters_use_the_expression_language(api, superuser_token):
    api.get("/api/collections/nope/records")
    api.get("/api/health")
    errors = _logs(api, superuser_token, filter="level > 0")["items"]
    assert errors and all(i["level"] == 8 for i in errors)
    by_status = _logs(api, superuser_token, filter="data.status = 404")["items"]
    assert [i["message"] for i in by_status] == ["GET /api/collections/nope/records"]
    by_text = _logs(api, superuser_token, filter='message ~ "health"')["items"]
    assert by_text and all("health" in i["message"] for i in by_text)
    bad = api.get("/api/logs", token=superuser_token, query={"filter": "level >"})
    assert bad.status_code == 400


def test_stats_take_the_same_filter(api, superuser_token):
    api.get("/api/health")
    only_errors = api.get(
        "/api/logs/stats", token=superuser_token, query={"filter": "level > 0"}
    ).json()
    assert only_errors == []


def test_sort_by_any_column(api, superuser_token):
    for _ in range(2):
        api.get("/api/health")
    items = _logs(api, superuser_token, sort="created")["items"]
    assert items[0]["created"] <= items[-1]["created"]
