"""Auth records: lookups by identity and the system-level writes the auth flows make.

Every write goes through ``RecordService`` as the built-in system caller (a superuser
context), so validation, the ``tokenKey`` rotation of wire-api §4.5 and change events
stay in one place.
"""

from __future__ import annotations

import secrets
from typing import Any

from baas.auth.context import AuthContext
from baas.collections import naming
from baas.collections.ddl import quote
from baas.collections.fields.patterns import generate
from baas.collections.models import SUPERUSERS_ID, Collection, lookup_id
from baas.collections.records import RecordService, rows
from baas.collections.records.payload import Submission
from baas.collections.records.service import Call

SYSTEM = Call(
    viewer=AuthContext(
        record={"id": "system"}, collection=Collection(id=SUPERUSERS_ID, type="auth")
    )
)

Row = dict[str, Any]


def find_by_field(collection: Collection, name: str, value: Any) -> Row | None:
    field = collection.field(name)
    if field is None or value in (None, ""):
        return None
    found = rows.fetch(
        collection, f"{quote('t')}.{quote(naming.column_name(field))} = %s", [value], limit=1
    )
    return found[0] if found else None


def find_by_email(collection: Collection, email: str) -> Row | None:
    return find_by_field(collection, "email", email)


def find_where(collection: Collection, **values: Any) -> list[Row]:
    """Rows whose named fields equal the given values (all of them)."""
    parts, params = [], []
    for name, value in values.items():
        field = collection.field(name)
        if field is None:
            return []
        parts.append(f"{quote('t')}.{quote(naming.column_name(field))} = %s")
        params.append(value)
    return rows.fetch(collection, " AND ".join(parts), params)


def load(collection_id: str, record_id: str) -> tuple[Collection, Row] | None:
    collection = lookup_id(collection_id)  # per-process cache, checked against the database
    if collection is None or not collection.is_auth or not record_id:
        return None
    row = rows.fetch_one(collection, record_id)
    return (collection, row) if row is not None else None


def system_collection(name: str) -> Collection:
    return Collection.objects.get(name=name)


def create(collection: Collection, values: dict[str, Any], call: Call = SYSTEM) -> Row:
    return RecordService().create_record(collection, Submission(values=dict(values)), call)


def update(collection: Collection, record_id: str, values: dict[str, Any]) -> Row:
    return RecordService().update_record(
        collection, record_id, Submission(values=dict(values)), SYSTEM
    )


def delete(collection: Collection, record_id: str) -> None:
    RecordService().delete_record(collection, record_id, SYSTEM)


def rotate_token_key(collection: Collection, record_id: str) -> Row:
    """Force logout: a new ``tokenKey`` revokes every token issued before (wire-api §4.5)."""
    return update(collection, record_id, {"tokenKey": generate("[a-zA-Z0-9]{50}")})


def set_random_password(collection: Collection, record_id: str) -> None:
    """Replace the record's password hash with one of a random password nobody knows.

    Written to the column directly, not through the field's validation: the random
    value need not match a ``pattern`` the collection's password field may have.
    """
    from django.db import connection

    from baas.auth.passwords import hash_password

    field = collection.field("password")
    if field is None:
        return
    hashed = hash_password(secrets.token_urlsafe(48))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(naming.table_name(collection.id))}"
            f" SET {quote(naming.column_name(field))} = %s WHERE {quote('id')} = %s",
            [hashed, record_id],
        )
