"""A stored row as the caller may see it (wire-api §2.2)."""

from __future__ import annotations

from typing import Any

from baas.auth.context import AuthContext
from baas.collections.models import Collection

ALWAYS_HIDDEN = {"password", "tokenKey"}


def can_see_email(
    collection: Collection, row: dict[str, Any], viewer: AuthContext, *, manager: bool = False
) -> bool:
    if viewer.is_superuser or manager or row.get("emailVisibility"):
        return True
    return (
        viewer.collection is not None
        and viewer.collection.id == collection.id
        and viewer.id == row.get("id")
    )


def visible_fields(collection: Collection, viewer: AuthContext) -> list[tuple[str, bool]]:
    """The fields this viewer is shown, in order, each with whether it is a password
    (write-only: always shown as ""). The same for every row of one answer."""
    superuser = viewer.is_superuser
    is_auth = collection.is_auth
    return [
        (field["name"], field["type"] == "password")
        for field in collection.fields
        if not (is_auth and field["name"] in ALWAYS_HIDDEN)
        and not (field.get("hidden") and not superuser)
    ]


def serialize(
    collection: Collection,
    row: dict[str, Any],
    viewer: AuthContext,
    *,
    show_email: bool | None = None,
    visible: list[tuple[str, bool]] | None = None,
) -> dict[str, Any]:
    """``visible``: ``visible_fields(collection, viewer)``, when the caller has it."""
    out: dict[str, Any] = {"collectionId": collection.id, "collectionName": collection.name}
    # wire-api §1.2: a password field is write-only and always shows ""
    for name, is_password in visible_fields(collection, viewer) if visible is None else visible:
        out[name] = "" if is_password else row.get(name)
    if collection.is_auth and "email" in out:
        visible_email = (
            show_email if show_email is not None else can_see_email(collection, row, viewer)
        )
        if not visible_email:
            del out["email"]
    if "expand" in row:
        out["expand"] = row["expand"]
    return out
