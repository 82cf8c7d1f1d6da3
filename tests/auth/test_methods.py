"""GET auth-methods (wire-api §4.2, §9)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


def test_defaults(api, cast):
    data = api.get("/api/collections/users/auth-methods").json()
    assert data == {
        "password": {"enabled": True, "identityFields": ["email"]},
        "oauth2": {"enabled": False, "providers": []},
        "mfa": {"enabled": False, "duration": 0},
        "otp": {"enabled": False, "duration": 0},
        "authProviders": [],
        "usernamePassword": False,
        "emailPassword": True,
    }


def test_enabled_methods_report_durations_and_fields(api, configure):
    configure("users", otp={"enabled": True}, mfa={"enabled": True, "duration": 900})
    data = api.get("/api/collections/users/auth-methods?fields=otp,mfa").json()
    assert data == {
        "otp": {"enabled": True, "duration": 180},
        "mfa": {"enabled": True, "duration": 900},
    }


def test_providers_get_a_fresh_state_and_pkce_pair(api, configure):
    configure(
        "users",
        oauth2={
            "enabled": True,
            "providers": [
                {"name": "github", "clientId": "cid", "clientSecret": "secret"},
                {"name": "google", "clientId": "gid", "clientSecret": "secret", "displayName": "G"},
            ],
        },
    )
    first = api.get("/api/collections/users/auth-methods").json()
    second = api.get("/api/collections/users/auth-methods").json()
    assert first["oauth2"]["enabled"] is True
    github, google = first["oauth2"]["providers"]
    assert first["authProviders"] == first["oauth2"]["providers"]
    assert github["name"] == "github" and github["displayName"] == "GitHub"
    assert google["displayName"] == "G"
    assert github["state"] != second["oauth2"]["providers"][0]["state"]
    assert github["codeVerifier"] != second["oauth2"]["providers"][0]["codeVerifier"]
    assert github["codeChallengeMethod"] == "S256"
    url = github["authURL"]
    assert url.startswith("https://github.com/login/oauth/authorize?")
    assert url.endswith("&redirect_uri=")
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert query["client_id"] == ["cid"] and query["state"] == [github["state"]]
    assert query["code_challenge"] == [github["codeChallenge"]]
    assert query["response_type"] == ["code"]
    assert "clientSecret" not in str(first)


def test_superusers_never_offer_oauth2(api, db):
    data = api.get("/api/collections/_superusers/auth-methods").json()
    assert data["oauth2"] == {"enabled": False, "providers": []}
