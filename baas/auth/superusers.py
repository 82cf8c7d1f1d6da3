"""Superuser accounts for the CLI (``baas superuser upsert|delete``)."""

from __future__ import annotations

from baas.auth.records import SYSTEM
from baas.collections.models import SUPERUSERS_ID, Collection
from baas.collections.records import RecordService, rows
from baas.collections.records.payload import Submission


def _find(collection: Collection, email: str) -> dict | None:
    from baas.collections import naming
    from baas.collections.ddl import quote

    email_field = collection.field("email")
    assert email_field is not None
    found = rows.fetch(
        collection, f"{quote('t')}.{quote(naming.column_name(email_field))} = %s", [email]
    )
    return found[0] if found else None


def upsert_superuser(email: str, password: str) -> None:
    """Create the superuser, or set a new password (which also signs out its old tokens)."""
    collection = Collection.objects.get(id=SUPERUSERS_ID)
    service = RecordService()
    existing = _find(collection, email)
    values: dict[str, object]
    if existing:
        values = {"password": password, "passwordConfirm": password}
        service.update_record(collection, existing["id"], Submission(values=values), SYSTEM)
    else:
        values = {
            "email": email,
            "password": password,
            "passwordConfirm": password,
            "verified": True,
        }
        service.create_record(collection, Submission(values=values), SYSTEM)


def delete_superuser(email: str) -> bool:
    collection = Collection.objects.get(id=SUPERUSERS_ID)
    existing = _find(collection, email)
    if not existing:
        return False
    RecordService().delete_record(collection, existing["id"], SYSTEM)
    return True
