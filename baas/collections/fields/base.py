"""The field-type registry's base class (DESIGN §4, STYLE §1–2).

A field is a wire dict (``{id, name, type, system, hidden, presentable, ...}``).
Its type, one ``FieldType`` instance per wire type name, knows the column it needs,
how input is coerced and validated, and how stored values go back on the wire.
A new field type is one new module with one subclass, registered in ``__init__``.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from django.db import models

from baas.api.errors import field_error

FieldError = dict[str, Any]


def default_field_id(type_name: str, name: str) -> str:
    """wire-api §0: ``<type>`` + CRC32(name)."""
    return f"{type_name}{zlib.crc32(name.encode())}"


class ModelContext(ABC):
    """What a field needs from the model builder (e.g. stub models for relation targets)."""

    db_constraints: bool = True

    @abstractmethod
    def related_model(self, collection_id: str) -> type[models.Model]:
        """The model (or a stub with its primary key) of another collection."""


class FieldType(ABC):
    type: ClassVar[str] = ""
    # Type-specific option defaults, as the wire shows them.
    defaults: ClassVar[dict[str, Any]] = {}
    # Autodate has neither ``required`` nor ``help``.
    has_required: ClassVar[bool] = True
    # Values that are sorted/filtered as numbers rather than text.
    numeric: ClassVar[bool] = False

    # ---- schema ---------------------------------------------------------------
    def normalize(self, field: dict[str, Any]) -> dict[str, Any]:
        """Fill every key the wire shows, with defaults for anything not given."""
        out: dict[str, Any] = {
            "id": field.get("id") or default_field_id(self.type, str(field.get("name", ""))),
            "name": field.get("name", ""),
            "type": self.type,
            "system": bool(field.get("system", False)),
            "hidden": bool(field.get("hidden", False)),
            "presentable": bool(field.get("presentable", False)),
        }
        if self.has_required:
            out["required"] = bool(field.get("required", False))
            out["help"] = str(field.get("help") or "")
        for key, default in self.defaults.items():
            value = field.get(key, default)
            out[key] = self.coerce_option(key, value, default)
        return out

    def coerce_option(self, key: str, value: Any, default: Any) -> Any:
        if value is None:
            return default if default is not None else None
        if isinstance(default, bool):
            return bool(value)
        if isinstance(default, list):
            return list(value) if isinstance(value, list | tuple) else default
        return value

    def validate_options(self, field: dict[str, Any]) -> dict[str, FieldError]:
        """Errors keyed by option name; empty when the options are valid."""
        return {}

    def is_multi(self, field: dict[str, Any]) -> bool:
        return False

    @abstractmethod
    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field | None:
        """The Django field for this field's column (None = no column in the main table)."""

    # ---- values ---------------------------------------------------------------
    def zero(self, field: dict[str, Any]) -> Any:
        return ""

    def prepare(self, field: dict[str, Any], value: Any) -> Any:
        """Coerce a submitted value the way the contract does (usually without errors)."""
        return value

    def is_empty(self, field: dict[str, Any], value: Any) -> bool:
        return value in ("", None, [], {}, 0, False)

    def validate(self, field: dict[str, Any], value: Any) -> FieldError | None:
        """Check a prepared value; ``required`` is handled here too."""
        if field.get("required") and self.is_empty(field, value):
            return field_error("validation_required", "Cannot be blank.")
        return None

    def to_db(self, field: dict[str, Any], value: Any) -> Any:
        return value

    def from_db(self, field: dict[str, Any], raw: Any) -> Any:
        """A stored value (as a DB cursor returns it) to its wire form."""
        return self.zero(field) if raw is None else raw

    def decoder(self, field: dict[str, Any]) -> Callable[[Any], Any] | None:
        """``from_db`` for this field as a function of the stored value alone, for reading
        many rows (records/rows.py), or None to call ``from_db`` itself. Only for a
        ``from_db`` that reads nothing of ``field`` but its type and ``maxSelect``
        (what a read plan is keyed on), and returns a fresh or immutable value."""
        cls = type(self)
        if cls.from_db is FieldType.from_db and cls.zero is FieldType.zero:
            return _empty_if_none
        return None

    def apply_modifier(self, field: dict[str, Any], current: Any, op: str, value: Any) -> Any:
        """``field+`` / ``+field`` / ``field-`` (wire-api §2.5); ``op`` is '+', '^' (prepend) or '-'."""
        return current


REGISTRY: dict[str, FieldType] = {}


def register(field_type: FieldType) -> FieldType:
    REGISTRY[field_type.type] = field_type
    return field_type


def get_field_type(type_name: str) -> FieldType | None:
    return REGISTRY.get(type_name)


def _empty_if_none(raw: Any) -> Any:
    return "" if raw is None else raw
