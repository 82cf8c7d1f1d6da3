"""Tokens of wire-api §4.5: what is a guest, what revokes, impersonation, force logout."""

from __future__ import annotations

import time

import jwt
import pytest

from baas.auth import tokens
from baas.collections.models import Collection
from baas.collections.records import rows
from tests.cast import sign_in

REFRESH = "/api/collections/users/auth-refresh"


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _owner(cast):
    users = Collection.objects.get(name="users")
    return users, rows.fetch_one(users, cast.owner_id)


def _forged(cast, kind: str) -> str:
    users, owner = _owner(cast)
    claims = _claims(cast.owner)
    if kind == "bad signature":
        return jwt.encode(
            claims, "not-the-key-but-long-enough-to-be-a-real-hmac-key", algorithm="HS256"
        )
    if kind == "expired":
        return tokens.issue(users, owner, duration=-10)
    if kind == "alg none":
        return jwt.encode(claims, None, algorithm="none")
    if kind == "other collection id":
        return jwt.encode(
            {**claims, "collectionId": "pbc_3142635823"},
            tokens._key(users, owner, "authToken"),
            algorithm="HS256",
        )
    if kind == "file token":
        return tokens.issue(users, owner, "file", kind="fileToken")
    if kind == "verification token":
        return tokens.issue(users, owner, "verification", kind="verificationToken")
    if kind == "garbage":
        return "Bearer not.a.jwt"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "bad signature",
        "expired",
        "alg none",
        "other collection id",
        "file token",
        "verification token",
        "garbage",
    ],
)
def test_invalid_tokens_are_guests(api, cast, kind):
    token = _forged(cast, kind)
    assert api.post(REFRESH, token=token).status_code == 401
    # a guest on a public endpoint still gets an answer, not a rejection
    assert api.get("/api/collections/users/auth-methods", token=token).status_code == 200


def test_bearer_prefix_is_accepted(api, cast):
    assert api.post(REFRESH, token=f"bearer {cast.owner}").status_code == 200


def test_token_claims_are_exactly_the_contract(api, cast):
    claims = _claims(cast.owner)
    assert set(claims) == {"id", "collectionId", "type", "refreshable", "exp"}
    assert claims["type"] == "auth" and claims["refreshable"] is True
    assert abs(claims["exp"] - (time.time() + 432000)) < 60
    assert abs(_claims(cast.superuser)["exp"] - (time.time() + 86400)) < 60


def test_a_password_change_revokes_older_tokens(api, cast):
    old = cast.owner
    changed = api.patch(
        f"/api/collections/users/records/{cast.owner_id}",
        json={"password": "brand-new-pw", "passwordConfirm": "brand-new-pw"},
        token=cast.superuser,
    )
    assert changed.status_code == 200, changed.content
    assert api.post(REFRESH, token=old).status_code == 401
    assert (
        api.post(
            "/api/collections/users/request-email-change",
            json={"newEmail": "n@example.com"},
            token=old,
        ).status_code
        == 401
    )
    fresh = sign_in(api, "users", "owner@example.com", "brand-new-pw")["token"]
    assert api.post(REFRESH, token=fresh).status_code == 200


def test_impersonate(api, cast):
    url = f"/api/collections/users/impersonate/{cast.owner_id}"
    assert api.post(url, json={}).status_code == 401
    denied = api.post(url, json={}, token=cast.other)
    assert denied.status_code == 403
    assert (
        denied.json()["message"] == "The authorized record is not allowed to perform this action."
    )
    assert (
        api.post(
            "/api/collections/users/impersonate/nope", json={}, token=cast.superuser
        ).status_code
        == 404
    )
    bad = api.post(url, json={"duration": -1}, token=cast.superuser)
    assert bad.json()["data"]["duration"] == {
        "code": "validation_min_greater_equal_than_required",
        "message": "Must be no less than 0.",
        "params": {"threshold": 0},
    }
    data = api.post(url, json={"duration": 100}, token=cast.superuser).json()
    assert set(data) == {"token", "record"} and data["record"]["email"] == "owner@example.com"
    claims = _claims(data["token"])
    assert claims["refreshable"] is False and abs(claims["exp"] - time.time() - 100) < 5
    refreshed = api.post(REFRESH, token=data["token"]).json()
    assert refreshed["token"] == data["token"]  # not refreshable: the same token comes back
    default = api.post(url, json={"duration": 0}, token=cast.superuser).json()
    assert abs(_claims(default["token"])["exp"] - time.time() - 432000) < 60


def test_force_logout_by_superuser(api, cast):
    url = f"/api/x/collections/users/records/{cast.owner_id}/logout"
    assert api.post(url, token=cast.other).status_code == 403
    assert api.post(url, token=cast.superuser).status_code == 204
    assert api.post(REFRESH, token=cast.owner).status_code == 401
    assert api.post(REFRESH, token=cast.other).status_code == 200


def test_superuser_can_rotate_token_key_through_the_records_api(api, cast):
    response = api.patch(
        f"/api/collections/users/records/{cast.owner_id}",
        json={"tokenKey": "k" * 50},
        token=cast.superuser,
    )
    assert response.status_code == 200, response.content
    assert api.post(REFRESH, token=cast.owner).status_code == 401


# ---- the one-pass reader (tokens._parse / _verified) against hand-made tokens ----------

_USERS = Collection(id="_pb_users_auth_", type="auth", options={"authToken": {"secret": "s" * 30}})
_RECORD = {"id": "u1", "tokenKey": "k" * 50}
_KEY = tokens._key(_USERS, _RECORD, "authToken")


def _signed(claims: dict, *, key: str = _KEY, algorithm: str = "HS256", **headers) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers or None)


def _good(**extra) -> dict:
    return {"id": "u1", "collectionId": _USERS.id, "type": "auth", "exp": time.time() + 60, **extra}


def test_reader_accepts_what_pyjwt_accepts():
    token = _signed(_good())
    assert tokens.verify(token, _USERS, _RECORD) == jwt.decode(
        token, _KEY, algorithms=["HS256"], options={"require": ["exp"]}
    )
    assert tokens.unverified_claims(token)["id"] == "u1"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: _signed(_good(), key="x" * 80), id="other key"),
        pytest.param(lambda: _signed(_good(), algorithm="HS512"), id="HS512"),
        pytest.param(lambda: jwt.encode(_good(), None, algorithm="none"), id="alg none"),
        pytest.param(lambda: _signed({**_good(), "exp": time.time() - 1}), id="expired"),
        pytest.param(
            lambda: _signed({k: v for k, v in _good().items() if k != "exp"}), id="no exp"
        ),
        pytest.param(lambda: _signed({**_good(), "exp": "9999999999"}), id="exp as text"),
        pytest.param(lambda: _signed({**_good(), "exp": True}), id="exp as bool"),
        pytest.param(lambda: _signed(_good(nbf=time.time() + 60)), id="nbf in the future"),
        pytest.param(lambda: _signed(_good(iat=time.time() + 60)), id="iat in the future"),
        pytest.param(lambda: _signed(_good(aud="someone")), id="audience"),
        pytest.param(lambda: _signed(_good()) + ".x", id="four segments"),
        pytest.param(lambda: _signed(_good())[:-1], id="signature cut"),
        pytest.param(lambda: _signed(_good())[:-2] + "~" + _signed(_good())[-2:], id="junk char"),
        pytest.param(lambda: _signed(_good()) + "=", id="padding"),
        pytest.param(lambda: _signed(_good()).replace(".", ". ", 1), id="space"),
        pytest.param(lambda: "é" + _signed(_good()), id="non-ascii"),
        pytest.param(lambda: "a.b.c", id="not base64 json"),
        pytest.param(lambda: "", id="empty"),
    ],
)
def test_reader_refuses(make):
    assert tokens.verify(make(), _USERS, _RECORD) is None


def test_reader_refuses_a_list_payload_signed_with_the_key():
    import base64
    import hashlib
    import hmac

    def b64(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signing = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(b"[1,2]")
    sig = b64(hmac.new(_KEY.encode(), signing, hashlib.sha256).digest())
    token = (signing + b"." + sig).decode()
    assert tokens.verify(token, _USERS, _RECORD) is None
    assert tokens.unverified_claims(token) is None


def test_reader_signature_is_over_the_exact_text():
    token = _signed(_good())
    header, payload, sig = token.split(".")
    # the same claims, re-encoded differently, do not carry the old signature
    other = jwt.encode(_good(), "whatever-key-that-is-long-enough-for-hmac", algorithm="HS256")
    assert tokens.verify(f"{header}.{other.split('.')[1]}.{sig}", _USERS, _RECORD) is None
