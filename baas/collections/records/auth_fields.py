"""What an auth record's write must respect (wire-api §2.5, §9)."""

from __future__ import annotations

from typing import Any

from baas.api.errors import field_error
from baas.auth.context import AuthContext
from baas.auth.passwords import hash_password, verify_password
from baas.collections.fields import get_field_type
from baas.collections.fields.patterns import generate
from baas.collections.models import Collection
from baas.collections.records.payload import Submission


def apply_password_fields(
    collection: Collection,
    submission: Submission,
    row: dict[str, Any],
    existing: dict[str, Any] | None,
    errors: dict[str, Any],
) -> None:
    """Hash submitted passwords; check confirmation fields of auth collections."""
    for field in collection.fields:
        if field["type"] != "password":
            continue
        name = field["name"]
        field_type = get_field_type("password")
        assert field_type is not None
        plain = field_type.prepare(field, submission.values.get(name, ""))
        if plain:
            error = field_type.validate(field, plain)
            if error:
                errors[name] = error
                continue
            row[name] = hash_password(plain)
        elif existing is None or not existing.get(name):
            if field.get("required"):
                errors[name] = field_error("validation_required", "Cannot be blank.")
            row[name] = existing.get(name, "") if existing else ""


def apply_auth_rules(
    collection: Collection,
    submission: Submission,
    row: dict[str, Any],
    existing: dict[str, Any] | None,
    viewer: AuthContext,
    manager: bool,
    errors: dict[str, Any],
) -> None:
    if not collection.is_auth:
        return
    values = submission.values
    privileged = viewer.is_superuser or manager
    password = values.get("password")
    if existing is None:
        confirm = values.get("passwordConfirm")
        if not confirm:
            errors.setdefault(
                "passwordConfirm", field_error("validation_required", "Cannot be blank.")
            )
        elif password != confirm:
            errors.setdefault(
                "passwordConfirm", field_error("validation_values_mismatch", "Values don't match.")
            )
        if not privileged and row.get("verified"):
            errors.setdefault(
                "verified", field_error("validation_values_mismatch", "Values don't match.")
            )
        row["tokenKey"] = generate("[a-zA-Z0-9]{50}")
        return
    if password:
        if values.get("passwordConfirm") != password:
            errors.setdefault(
                "passwordConfirm", field_error("validation_values_mismatch", "Values don't match.")
            )
        if not privileged:
            old = values.get("oldPassword")
            if not old:
                errors.setdefault(
                    "oldPassword", field_error("validation_required", "Cannot be blank.")
                )
            elif not verify_password(str(old), existing.get("password", "")):
                errors.setdefault(
                    "oldPassword",
                    field_error(
                        "validation_invalid_old_password", "Missing or invalid old password."
                    ),
                )
        row["tokenKey"] = generate("[a-zA-Z0-9]{50}")  # wire-api §4.5: revokes every older token
    if not privileged:
        for name in ("email", "verified"):
            if name in values and row.get(name) != existing.get(name):
                errors.setdefault(
                    name, field_error("validation_values_mismatch", "Values don't match.")
                )
