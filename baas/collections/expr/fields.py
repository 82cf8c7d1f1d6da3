"""What the compiler needs to know about collections and their fields.

Physical names always come from ``naming`` (ids), never from the expression text.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q

from .. import naming
from ..models import Collection

MULTI_VALUER_TYPES = frozenset({"select", "file", "relation"})
JSON_TYPES = frozenset({"json", "geoPoint"})

_UNIQUE_INDEX = re.compile(
    r"^\s*CREATE\s+UNIQUE\s+INDEX\s.*?\bON\s+\S+\s*\(\s*[`\"'\[]?(\w+)[`\"'\]]?"
    r"(\s+COLLATE\s+\w+)?(\s+(ASC|DESC))?\s*\)",
    re.IGNORECASE | re.DOTALL,
)


def is_multi_valuer(field: dict[str, Any]) -> bool:
    return field.get("type") in MULTI_VALUER_TYPES


def is_multiple(field: dict[str, Any]) -> bool:
    """maxSelect > 1 on select/file/relation (wire-api §1.2)."""
    return is_multi_valuer(field) and (field.get("maxSelect") or 1) > 1


def is_primary_id(field: dict[str, Any]) -> bool:
    return field.get("name") == "id" and bool(field.get("primaryKey"))


def column(field: dict[str, Any]) -> str:
    return naming.column_name(field)


def table(collection: Collection) -> str:
    return naming.table_name(collection.id)


def join_table(collection: Collection, field: dict[str, Any]) -> str:
    return naming.join_table_name(collection.id, field["id"])


def has_single_unique_index(collection: Collection, field_name: str) -> bool:
    """A one-column UNIQUE index on the field (WHERE clauses ignored), like the binary."""
    for index in collection.indexes or []:
        match = _UNIQUE_INDEX.match(index)
        if match and match.group(1).lower() == field_name.lower():
            return True
    return False


class CollectionCache:
    """Collections looked up by id or (case-insensitive) name, once per compile."""

    def __init__(self, base: Collection) -> None:
        self.base = base
        self._found: dict[str, Collection | None] = {}

    def get(self, name_or_id: str) -> Collection | None:
        if name_or_id in (self.base.name, self.base.id):
            return self.base
        key = name_or_id.lower()
        if key not in self._found:
            found = Collection.objects.filter(Q(id=name_or_id) | Q(name__iexact=name_or_id)).first()
            self._found[key] = found
        return self._found[key]
