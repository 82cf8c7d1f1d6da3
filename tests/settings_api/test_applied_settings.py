"""Settings that change request handling take effect: CORS origins and superuser IPs."""

from __future__ import annotations

from typing import Any

from baas.settings_api.service import forget


def test_cors_origins_from_settings(api: Any, cast: Any) -> None:
    assert (
        api.get("/api/health", headers={"Origin": "https://a.test"})["Access-Control-Allow-Origin"]
        == "*"
    )
    api.patch(
        "/api/settings",
        json={"cors": {"allowedOrigins": ["https://app.test"]}},
        token=cast.superuser,
    )
    forget()
    allowed = api.get("/api/health", headers={"Origin": "https://app.test"})
    assert allowed["Access-Control-Allow-Origin"] == "https://app.test"
    refused = api.get("/api/health", headers={"Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in refused


def test_superuser_tokens_only_from_listed_ips(api: Any, cast: Any) -> None:
    assert (
        api.patch(
            "/api/settings", json={"superuserIPs": ["10.9.0.0/16"]}, token=cast.superuser
        ).status_code
        == 200
    )
    forget()
    assert api.get("/api/collections", token=cast.superuser).status_code == 401
    api.client.defaults["REMOTE_ADDR"] = "10.9.1.2"
    assert api.get("/api/collections", token=cast.superuser).status_code == 200
