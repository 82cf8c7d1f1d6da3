"""Per-request shortcuts of the API layer answer as the full path does: content
negotiation taken directly for JSON, sessions and messages skipped on the plain API
paths, the records routes resolved first."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.views import APIView

from baas.api.middleware import _PLAIN_API_PATH

ACCEPTS = [
    (None, 200),
    ("*/*", 200),
    ("application/json", 200),
    ("application/json; indent=4", 200),
    ("text/html", 406),
    ("text/html, */*;q=0.1", 200),
]


@pytest.mark.parametrize(("accept", "status"), ACCEPTS)
def test_accept_headers(api: Any, cast: Any, accept: str | None, status: int) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = api.get("/api/collections/users/records", token=cast.owner, headers=headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"


def test_format_parameter_is_still_negotiated(api: Any, cast: Any) -> None:
    path = "/api/collections/users/records"
    assert api.get(path, token=cast.owner, query={"format": "json"}).status_code == 200
    assert api.get(path, token=cast.owner, query={"format": "xml"}).status_code == 404


def test_json_requests_skip_drf_negotiation(
    api: Any, cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("negotiated")

    monkeypatch.setattr(APIView, "perform_content_negotiation", refuse)
    path = "/api/collections/users/records"
    assert api.get(path, token=cast.owner).status_code == 200
    assert api.get(path, token=cast.owner, headers={"Accept": "*/*"}).status_code == 200
    # any other Accept goes to DRF's negotiation (here: an error answer)
    assert api.get(path, token=cast.owner, headers={"Accept": "text/html"}).status_code == 500


@pytest.mark.parametrize(
    ("path", "plain"),
    [
        ("/api/health", True),
        ("/api/files/c/r/name.txt", True),
        ("/api/collections/posts/records", True),
        ("/api/collections/posts/records/abc", True),
        ("/api/collections/posts/records/abc/x", False),
        ("/api/collections/posts", False),
        ("/api/collections/users/auth-with-oauth2", False),
        ("/api/oauth2-redirect", False),
        ("/api/healthz", False),
        ("/_/", False),
    ],
)
def test_plain_api_paths(path: str, plain: bool) -> None:
    assert bool(_PLAIN_API_PATH.match(path)) is plain


def test_no_session_cookie_or_vary_on_plain_api_paths(api: Any, cast: Any) -> None:
    response = api.get("/api/collections/users/records", token=cast.owner)
    assert response.status_code == 200
    assert "sessionid" not in response.cookies and "messages" not in response.cookies
    assert response["Vary"] == "Origin"
