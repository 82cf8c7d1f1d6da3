"""``/api/health``, the headers every answer carries, CORS, and the JSON 404 (wire-api §0, §7.2)."""

from __future__ import annotations

import pytest
from django.test import override_settings

# The CORS answer reads the app settings (cors.allowedOrigins) from the database.
pytestmark = pytest.mark.django_db

HEALTHY = {"code": 200, "message": "API is healthy.", "data": {}}
NOT_FOUND = {"status": 404, "message": "The requested resource wasn't found.", "data": {}}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "X-XSS-Protection": "1; mode=block",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def test_health_answers_200_with_the_peer_body(api):
    response = api.get("/api/health")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == HEALTHY


def test_head_health_has_no_body(api):
    response = api.head("/api/health")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("path", ["/api/health", "/api/nope"])
def test_security_headers_are_on_every_answer(api, path):
    response = api.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response[name] == value
    assert "Origin" in response["Vary"]


def test_cors_preflight_is_answered_for_any_origin(api):
    response = api.options(
        "/api/collections/posts/records",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "PATCH" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "authorization,content-type"


def test_a_cross_origin_request_is_allowed(api):
    response = api.get("/api/health", headers={"Origin": "https://app.example"})
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/nope"),
        ("GET", "/api/"),
        ("POST", "/api/nope/deeper?x=1"),
        ("POST", "/api/health"),  # the peer: a wrong method is a 404, not a 405
        ("DELETE", "/api/health"),
        ("GET", "/not-the-api"),
    ],
)
def test_unknown_routes_are_the_json_404_envelope(api, method, path):
    response = api.request(method, path)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@override_settings(DEBUG=True)
def test_the_404_stays_json_in_debug_mode(api):
    response = api.get("/api/nope")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
