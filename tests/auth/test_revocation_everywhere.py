"""A password change revokes every older token: auth tokens on REST and file tokens alike."""

from __future__ import annotations

from typing import Any

from baas.auth.middleware import resolve_token


def test_password_change_revokes_auth_and_file_tokens(api: Any, cast: Any) -> None:
    file_token = api.post("/api/files/token", token=cast.owner).json()["token"]
    assert not resolve_token(file_token, token_type="file").is_guest
    change = {
        "oldPassword": "password123",
        "password": "newpassword1",
        "passwordConfirm": "newpassword1",
    }
    assert (
        api.patch(
            f"/api/collections/users/records/{cast.owner_id}", json=change, token=cast.owner
        ).status_code
        == 200
    )
    assert resolve_token(file_token, token_type="file").is_guest
    assert api.post("/api/files/token", token=cast.owner).status_code == 401
    assert api.post("/api/collections/users/auth-refresh", token=cast.owner).status_code == 401
