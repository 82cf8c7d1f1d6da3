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


def serialize(
    collection: Collection,
    row: dict[str, Any],
    viewer: AuthContext,
    *,
    show_email: bool | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"collectionId": collection.id, "collectionName": collection.name}
    superuser = viewer.is_superuser
    for field in collection.fields:
        name = field["name"]
        if collection.is_auth and name in ALWAYS_HIDDEN:
            continue
        if field.get("hidden") and not superuser:
            continue
        # wire-api §1.2: a password field is write-only and always shows ""
        out[name] = "" if field["type"] == "password" else row.get(name)
    if collection.is_auth and "email" in out:
        visible = show_email if show_email is not None else can_see_email(collection, row, viewer)
        if not visible:
            del out["email"]
    if "expand" in row:
        out["expand"] = row["expand"]
    return out
