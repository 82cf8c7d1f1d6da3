"""OAuth2 sign-in against a provider double on loopback (wire-api §4.2, §4.3)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from baas.auth.api.oauth2 import oauth2_redirect_received
from baas.collections.models import Collection
from baas.collections.records import rows
from tests.auth.oauth2_double import Provider, oauth2_provider

USERS = "/api/collections/users"
REDIRECT = "http://localhost:8090/api/oauth2-redirect"
ALICE = {
    "sub": "alice-1",
    "email": "alice@example.com",
    "email_verified": True,
    "name": "Alice Liddell",
    "preferred_username": "alice",
    "picture": "http://img.test/alice.png",
}


@pytest.fixture(scope="module")
def provider_server() -> Iterator[Provider]:
    with oauth2_provider() as server:
        yield server


@pytest.fixture
def provider(provider_server, configure) -> Provider:
    configure(
        "users",
        oauth2={
            "enabled": True,
            "providers": [provider_server.config("oidc"), provider_server.config("github")],
            "mappedFields": {"name": "name"},
        },
    )
    return provider_server


def _entry(api, name: str) -> dict:
    methods = api.get(f"{USERS}/auth-methods").json()
    return next(p for p in methods["oauth2"]["providers"] if p["name"] == name)


def _sign_in(api, provider: Provider, name: str, user: dict, **extra) -> object:
    entry = _entry(api, name)
    code = provider.grant(entry["codeChallenge"], user)
    body = {
        "provider": name,
        "code": code,
        "codeVerifier": entry["codeVerifier"],
        "redirectURL": REDIRECT,
        **extra,
    }
    return api.post(f"{USERS}/auth-with-oauth2", json=body)


def _links(record_id: str) -> list[dict]:
    externals = Collection.objects.get(name="_externalAuths")
    return [r for r in rows.fetch(externals) if r["recordRef"] == record_id]


def test_auth_url_points_at_the_provider(api, provider):
    entry = _entry(api, "oidc")
    url = entry["authURL"]
    assert url.startswith(f"{provider.base}/authorize?") and url.endswith("&redirect_uri=")
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert query["code_challenge"] == [entry["codeChallenge"]]
    assert set(query["scope"][0].split()) == {"openid", "profile", "email"}


def test_new_user_is_created_and_linked(api, cast, provider):
    response = _sign_in(api, provider, "oidc", ALICE, createData={"emailVisibility": True})
    assert response.status_code == 200, response.content
    data = response.json()
    assert set(data) == {"token", "record", "meta"}
    record, meta = data["record"], data["meta"]
    assert record["email"] == "alice@example.com" and record["verified"] is True
    assert record["name"] == "Alice Liddell" and record["emailVisibility"] is True
    assert meta["isNew"] is True and meta["id"] == "alice-1"
    assert set(meta) == {
        "id",
        "name",
        "username",
        "email",
        "avatarURL",
        "avatarUrl",
        "accessToken",
        "refreshToken",
        "expiry",
        "rawUser",
        "isNew",
    }  # the keys the 0.40.6 binary sends for the same provider answer
    assert meta["email"] == "alice@example.com" and meta["name"] == "Alice Liddell"
    assert meta["avatarURL"] == meta["avatarUrl"] == "http://img.test/alice.png"
    assert meta["accessToken"] and meta["refreshToken"].startswith("refresh-")
    assert meta["expiry"].endswith("Z") and meta["rawUser"]["sub"] == "alice-1"
    assert [(x["provider"], x["providerId"]) for x in _links(record["id"])] == [("oidc", "alice-1")]
    # the token request carried the PKCE verifier and our redirect URL
    sent = provider.token_requests[-1]
    assert sent["redirect_uri"] == REDIRECT and sent["code_verifier"]
    again = _sign_in(api, provider, "oidc", ALICE).json()
    assert again["record"]["id"] == record["id"] and again["meta"]["isNew"] is False


def test_verified_provider_email_links_the_existing_account(api, cast, provider):
    octo = {
        "id": 4242,
        "login": "octo",
        "name": "Owner Octo",
        "email": None,
        "avatar_url": "http://img.test/o.png",
        "emails": [{"email": "owner@example.com", "primary": True, "verified": True}],
    }
    data = _sign_in(api, provider, "github", octo).json()
    assert data["record"]["id"] == cast.owner_id
    assert data["meta"]["isNew"] is False and data["meta"]["username"] == "octo"
    assert data["meta"]["avatarURL"] == "http://img.test/o.png"
    assert data["record"]["verified"] is True


def test_unverified_provider_email_never_takes_over_an_account(api, cast, provider):
    sneaky = {**ALICE, "sub": "mallory", "email": "owner@example.com", "email_verified": False}
    response = _sign_in(api, provider, "oidc", sneaky)
    # not linked, and a new account cannot take the address either
    assert response.status_code == 400, response.content
    assert _links(cast.owner_id) == []


def test_signed_in_user_links_another_provider(api, cast, provider):
    bob = {**ALICE, "sub": "bob-7", "email": "bob@elsewhere.test"}
    entry = _entry(api, "oidc")
    code = provider.grant(entry["codeChallenge"], bob)
    body = {
        "provider": "oidc",
        "code": code,
        "codeVerifier": entry["codeVerifier"],
        "redirectURL": REDIRECT,
    }
    data = api.post(f"{USERS}/auth-with-oauth2", json=body, token=cast.other).json()
    assert data["record"]["id"] == cast.other_id
    assert [x["providerId"] for x in _links(cast.other_id)] == ["bob-7"]


@pytest.mark.parametrize(
    "change, message, data",
    [
        ({"codeVerifier": "not-the-verifier"}, "Failed to fetch OAuth2 token.", {}),
        ({"code": "never-granted"}, "Failed to fetch OAuth2 token.", {}),
        (
            {"provider": "gitlab"},
            "An error occurred while loading the submitted data.",
            {
                "provider": {
                    "code": "validation_invalid_provider",
                    "message": "Provider with name gitlab is missing or is not enabled.",
                    "params": {"name": "gitlab"},
                }
            },
        ),
        (
            {"code": ""},
            "An error occurred while loading the submitted data.",
            {"code": {"code": "validation_required", "message": "Cannot be blank."}},
        ),
    ],
)
def test_bad_exchanges_fail(api, cast, provider, change, message, data):
    entry = _entry(api, "oidc")
    code = provider.grant(entry["codeChallenge"], ALICE)
    body = {
        "provider": "oidc",
        "code": code,
        "codeVerifier": entry["codeVerifier"],
        "redirectURL": REDIRECT,
    }
    response = api.post(f"{USERS}/auth-with-oauth2", json={**body, **change})
    assert response.json() == {"status": 400, "message": message, "data": data}


def test_provider_failing_on_the_user_request(api, cast, provider, configure):
    broken = provider.config("oidc", userInfoURL=f"{provider.base}/missing")
    configure("users", oauth2={"enabled": True, "providers": [broken]})
    response = _sign_in(api, provider, "oidc", ALICE)
    assert response.json()["message"] == "Failed to fetch OAuth2 user."


def test_legacy_redirect_url_alias(api, cast, provider):
    entry = _entry(api, "oidc")
    code = provider.grant(entry["codeChallenge"], ALICE)
    body = {
        "provider": "oidc",
        "code": code,
        "codeVerifier": entry["codeVerifier"],
        "redirectUrl": REDIRECT,
    }
    assert api.post(f"{USERS}/auth-with-oauth2", json=body).status_code == 200


def test_disabled_oauth2_is_refused(api, cast, configure, provider):
    configure("users", oauth2={"enabled": False})
    assert _entry_count(api) == 0
    response = api.post(f"{USERS}/auth-with-oauth2", json={})  # checked before the fields
    assert response.status_code == 403
    assert response.json()["message"] == (
        "The collection is not configured to allow OAuth2 authentication."
    )


def _entry_count(api) -> int:
    return len(api.get(f"{USERS}/auth-methods").json()["oauth2"]["providers"])


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_redirect_bridge_publishes_to_the_state_client(api, db, method):
    received: list[dict] = []

    def receiver(sender, signal=None, **payload):
        received.append(payload)

    oauth2_redirect_received.connect(receiver)
    try:
        if method == "GET":
            response = api.get("/api/oauth2-redirect", query={"state": "client-1", "code": "abc"})
        else:
            response = api.client.post("/api/oauth2-redirect", {"state": "client-1", "code": "abc"})
        failed = api.get(
            "/api/oauth2-redirect", query={"state": "client-2", "error": "access_denied"}
        )
    finally:
        oauth2_redirect_received.disconnect(receiver)
    assert response.status_code == 307
    assert response["Location"] == "/_/#/auth/oauth2-redirect-success"
    assert failed["Location"] == "/_/#/auth/oauth2-redirect-failure"
    assert received == [
        {"state": "client-1", "code": "abc", "error": ""},
        {"state": "client-2", "code": "", "error": "access_denied"},
    ]


def test_providers_meta_is_for_superusers(api, cast):
    url = "/api/collections/meta/oauth2-providers"
    assert api.get(url).status_code == 401
    assert api.get(url, token=cast.owner).status_code == 403
    names = [p["name"] for p in api.get(url, token=cast.superuser).json()]
    assert {
        "google",
        "apple",
        "github",
        "gitlab",
        "microsoft",
        "facebook",
        "discord",
        "oidc",
    } <= set(names)


def test_create_rule_applies_with_the_oauth2_context(api, cast, provider, configure):
    configure("users", createRule='@request.context != "oauth2"')
    response = _sign_in(
        api, provider, "oidc", {**ALICE, "sub": "carol", "email": "carol@example.com"}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Failed to create record."
    # sign-up through the records API is still open
    body = {
        "email": "dave@example.com",
        "password": "pass-word-1",
        "passwordConfirm": "pass-word-1",
    }
    assert api.post(f"{USERS}/records", json=body).status_code == 200


def test_deleting_a_user_removes_its_links(api, cast, provider):
    record = _sign_in(api, provider, "oidc", ALICE).json()["record"]
    assert _links(record["id"])
    deleted = api.delete(f"{USERS}/records/{record['id']}", token=cast.superuser)
    assert deleted.status_code == 204
    assert _links(record["id"]) == []
    again = _sign_in(api, provider, "oidc", ALICE).json()
    assert again["meta"]["isNew"] is True and again["record"]["id"] != record["id"]


def test_mapped_avatar_is_downloaded_into_the_file_field(api, cast, provider, configure):
    configure(
        "users",
        oauth2={
            "enabled": True,
            "providers": [provider.config("oidc")],
            "mappedFields": {"name": "name", "avatarURL": "avatar"},
        },
    )
    picture = f"{provider.base}/avatar.png"
    data = _sign_in(api, provider, "oidc", {**ALICE, "picture": picture}).json()
    filename = data["record"]["avatar"]
    assert filename.startswith("avatar") and filename.endswith(".png")
    served = api.get(f"/api/files/users/{data['record']['id']}/{filename}")
    assert served.status_code == 200


# Each provider's own profile shape, as its API answers (the uid, the email).
PROVIDER_USERS = {
    "google": ({"sub": "g-1", "email": "g@example.com", "email_verified": True}, "g-1"),
    "gitlab": ({"id": 71, "username": "gl", "email": "gl@example.com", "name": "G L"}, "71"),
    "microsoft": (
        {"id": "ms-1", "mail": "ms@example.com", "givenName": "M", "surname": "S"},
        "ms-1",
    ),
    "facebook": ({"id": "fb-1", "email": "fb@example.com", "name": "F B"}, "fb-1"),
    "discord": ({"id": "42", "username": "disco", "email": "d@example.com"}, "42"),
    "apple": ({"sub": "apple-1", "email": "ap@example.com", "email_verified": "true"}, "apple-1"),
}


@pytest.mark.parametrize("name", sorted(PROVIDER_USERS))
def test_every_named_provider_signs_in(api, cast, provider_server, configure, name):
    """allauth's provider classes, each against the double in that provider's shape: the
    profile (or, for Apple, the id_token verified against the JWKS) becomes the record."""
    configure(
        "users",
        oauth2={"enabled": True, "providers": [provider_server.config(name)]},
    )
    user, uid = PROVIDER_USERS[name]
    entry = _entry(api, name)
    assert entry["authURL"].startswith(f"{provider_server.base}/authorize?")
    code = provider_server.grant(entry["codeChallenge"], user, id_token=name == "apple")
    body = {
        "provider": name,
        "code": code,
        "codeVerifier": entry["codeVerifier"],
        "redirectURL": REDIRECT,
    }
    response = api.post(f"{USERS}/auth-with-oauth2", json=body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["meta"]["id"] == uid and data["meta"]["isNew"] is True
    assert data["record"]["email"] == user.get("email") or user.get("mail")
    assert [(x["provider"], x["providerId"]) for x in _links(data["record"]["id"])] == [(name, uid)]


def test_an_apple_id_token_not_signed_by_the_keys_is_refused(api, cast, provider_server, configure):
    """The id_token is the identity: one the JWKS does not verify signs nobody in."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    configure("users", oauth2={"enabled": True, "providers": [provider_server.config("apple")]})
    entry = _entry(api, "apple")
    real_key = provider_server.key
    provider_server.key = rsa.generate_private_key(65537, 2048)
    try:
        code = provider_server.grant(entry["codeChallenge"], {"sub": "x"}, id_token=True)
        forged_jwks = provider_server.jwks
        provider_server.jwks = lambda: Provider.jwks(  # type: ignore[method-assign]
            Provider(base="", key=real_key)
        )
        body = {
            "provider": "apple",
            "code": code,
            "codeVerifier": entry["codeVerifier"],
            "redirectURL": REDIRECT,
        }
        response = api.post(f"{USERS}/auth-with-oauth2", json=body)
        assert response.status_code == 400, response.content
    finally:
        provider_server.key = real_key
        provider_server.jwks = forged_jwks  # type: ignore[method-assign]
