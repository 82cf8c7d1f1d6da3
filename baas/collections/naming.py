"""Physical names come from ids, never from user text (STYLE §3).

A collection's records live in table ``c_<collectionId>``; the ``id`` field is
the column ``id``; every other field is the column ``f_<fieldId>``; a multi
relation keeps its ordered values in the join table ``r_<collectionId>_<fieldId>``
with columns ``record_id``, ``target_id`` and ``position``. Renaming a collection or
a field therefore never touches DDL.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

ID_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")
MAX_IDENTIFIER = 63  # PostgreSQL's limit; SQLite has none


def _fit(name: str) -> str:
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:16]
    return f"{name[:40]}_{digest}"


def table_name(collection_id: str) -> str:
    return _fit(f"c_{collection_id}")


def column_name(field: dict[str, Any]) -> str:
    if field["name"] == "id" and field.get("primaryKey"):
        return "id"
    return _fit(f"f_{field['id']}")


def join_table_name(collection_id: str, field_id: str) -> str:
    return _fit(f"r_{collection_id}_{field_id}")


def index_name(collection_id: str, name: str) -> str:
    digest = hashlib.sha1(f"{collection_id}:{name}".encode()).hexdigest()[:12]
    return f"i_{digest}_{re.sub(r'[^a-z0-9_]', '', name.lower())[:30]}"
