"""Turning submitted collection JSON into a valid schema, or a 400 with field errors.

Nothing here touches the database schema: ``schema.SchemaService`` applies the
result. Error shapes follow the peer (wire-api §1, checked on the binary).
"""

from __future__ import annotations

import copy
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from baas.api.errors import BadRequest, ValidationFailed, field_error
from baas.collections import defaults
from baas.collections.fields import get_field_type
from baas.collections.models import AUTH, AUTH_RULE_NAMES, RULE_NAMES, TYPES, VIEW, Collection

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")
MAX_NAME = 100
MAX_FIELDS = 400
RESERVED_FIELD_NAMES = {
    "expand",
    "collectionid",
    "collectionname",
    "passwordconfirm",
    "oldpassword",
}
# Collection names appear in view queries and index SQL, so SQL's reserved words are refused.
SQL_KEYWORDS = {
    "select",
    "from",
    "where",
    "table",
    "index",
    "insert",
    "update",
    "delete",
    "drop",
    "create",
    "alter",
    "join",
    "union",
    "order",
    "group",
    "by",
    "having",
    "limit",
    "offset",
    "and",
    "or",
    "not",
    "null",
    "true",
    "false",
    "into",
    "values",
    "as",
    "on",
    "in",
    "is",
    "like",
    "between",
    "case",
    "when",
    "then",
    "else",
    "end",
    "distinct",
    "all",
    "exists",
    "primary",
    "key",
    "foreign",
    "references",
    "default",
    "check",
    "unique",
    "constraint",
    "with",
    "view",
    "trigger",
    "transaction",
    "begin",
    "commit",
    "rollback",
    "grant",
    "revoke",
    "user",
    "cast",
    "collate",
    "natural",
    "cross",
    "inner",
    "outer",
    "left",
    "right",
    "full",
    "using",
    "returning",
    "sqlite_master",
    "pragma",
}
INVALID_FORMAT = "Failed to load the submitted data due to invalid formatting."


@dataclass
class Schema:
    """A validated collection, ready to be stored and applied."""

    id: str
    name: str
    type: str
    system: bool
    fields: list[dict[str, Any]]
    indexes: list[str]
    rules: dict[str, str | None]
    options: dict[str, Any] = field(default_factory=dict)

    def as_collection(self) -> Collection:
        return Collection(
            id=self.id,
            name=self.name,
            type=self.type,
            system=self.system,
            fields=self.fields,
            indexes=self.indexes,
            rules=self.rules,
            options=self.options,
        )


class Errors(dict):
    def add(self, path: list[str], error: dict[str, Any]) -> None:
        node: dict[str, Any] = self
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node.setdefault(path[-1], error)


def collection_id_for(type_name: str, name: str) -> str:
    """wire-api §0: ``pbc_`` + CRC32(type + name)."""
    return f"pbc_{zlib.crc32((type_name + name).encode())}"


def _check_name(
    name: Any, errors: Errors, existing: Collection | None, system: bool = False
) -> None:
    if not isinstance(name, str) or not name:
        errors.add(["name"], field_error("validation_required", "Cannot be blank."))
        return
    if len(name) > MAX_NAME:
        errors.add(
            ["name"],
            field_error(
                "validation_length_out_of_range", f"The length must be between 1 and {MAX_NAME}."
            ),
        )
    elif not NAME_PATTERN.match(name) or "_via_" in name or name.lower() in SQL_KEYWORDS:
        errors.add(["name"], field_error("validation_match_invalid", "Must be in a valid format."))
    elif name.startswith("_") and not (system or (existing and existing.system)):
        errors.add(
            ["name"],
            field_error(
                "validation_reserved_name",
                "Names starting with _ are reserved for system collections.",
            ),
        )
    elif existing and existing.system and name != existing.name:
        errors.add(
            ["name"],
            field_error(
                "validation_collection_system_name_change",
                "System collection name cannot be changed.",
            ),
        )
    else:
        clash = Collection.objects.filter(name__iexact=name)
        if existing:
            clash = clash.exclude(id=existing.id)
        if clash.exists():
            errors.add(
                ["name"],
                field_error(
                    "validation_collection_name_exists",
                    "Collection name must be unique (case insensitive).",
                ),
            )


def _check_id(data: dict[str, Any], type_name: str, name: Any, errors: Errors) -> str:
    given = data.get("id")
    if not given:
        return collection_id_for(type_name, name if isinstance(name, str) else "")
    if not isinstance(given, str) or not ID_PATTERN.match(given) or len(given) > 40:
        errors.add(["id"], field_error("validation_match_invalid", "Must be in a valid format."))
    elif Collection.objects.filter(id=given).exists():
        errors.add(
            ["id"],
            field_error("validation_collection_id_exists", "The id is invalid or already in use."),
        )
    return str(given)


def _system_fields(type_name: str, existing: Collection | None) -> list[dict[str, Any]]:
    if existing:
        return [f for f in existing.fields if f.get("system")]
    fields = [copy.deepcopy(defaults.ID_FIELD)]
    if type_name == AUTH:
        fields += copy.deepcopy(defaults.AUTH_FIELDS)
    return fields


def _normalize_fields(
    raw: Any, type_name: str, existing: Collection | None, errors: Errors
) -> list[dict[str, Any]]:
    if raw is None:
        raw = copy.deepcopy(existing.fields) if existing else []
    if not isinstance(raw, list) or not all(isinstance(f, dict) for f in raw):
        raise BadRequest(INVALID_FORMAT)
    system = {f["name"]: f for f in _system_fields(type_name, existing)}
    submitted_names = {str(f.get("name", "")) for f in raw}
    # System fields the submission left out are kept (the id field always comes first).
    raw = [
        copy.deepcopy(f) for n, f in system.items() if n not in submitted_names and n == "id"
    ] + raw
    raw += [copy.deepcopy(f) for n, f in system.items() if n not in submitted_names and n != "id"]
    if len(raw) > MAX_FIELDS:
        errors.add(
            ["fields"],
            field_error(
                "validation_too_many_fields", f"A collection may have at most {MAX_FIELDS} fields."
            ),
        )
        return []
    fields: list[dict[str, Any]] = []
    seen_names: set[str] = set()
    seen_ids: set[str] = set()
    for index, item in enumerate(raw):
        field_type = get_field_type(str(item.get("type", "")))
        if field_type is None:
            raise BadRequest(
                INVALID_FORMAT
            )  # wire-api §9: unknown field type → 400 with empty data
        normalized = field_type.normalize(item)
        path = ["fields", str(index)]
        _check_field_name(normalized, system, seen_names, errors, path)
        if (
            normalized["id"] in seen_ids
            or not ID_PATTERN.match(normalized["id"])
            or len(normalized["id"]) > 40
        ):
            errors.add(
                path + ["id"],
                field_error("validation_duplicated_field_id", "Duplicated or invalid field id."),
            )
        seen_ids.add(normalized["id"])
        _check_system_field(normalized, system, errors, path)
        for option, error in field_type.validate_options(normalized).items():
            errors.add(path + [option], error)
        fields.append(normalized)
    return fields


def _check_field_name(
    field: dict[str, Any], system: dict[str, Any], seen: set[str], errors: Errors, path: list[str]
) -> None:
    name = field["name"]
    lowered = name.lower() if isinstance(name, str) else ""
    if not isinstance(name, str) or not name:
        errors.add(path + ["name"], field_error("validation_required", "Cannot be blank."))
    elif (
        not NAME_PATTERN.match(name)
        or len(name) > MAX_NAME
        or "_via_" in name
        or (lowered in RESERVED_FIELD_NAMES and name not in system)
    ):
        errors.add(
            path + ["name"],
            field_error("validation_field_invalid_name", "Invalid or reserved field name."),
        )
    elif lowered in seen:
        errors.add(
            path + ["name"],
            field_error(
                "validation_duplicated_field_name",
                f"Duplicated or invalid field name {name}.",
                {"fieldName": name},
            ),
        )
    seen.add(lowered)


def _check_system_field(
    field: dict[str, Any], system: dict[str, Any], errors: Errors, path: list[str]
) -> None:
    original = next((f for f in system.values() if f["id"] == field["id"]), None)
    if original is None:
        if field["system"]:
            field["system"] = False  # only the server makes system fields
        return
    if field["type"] != original["type"] or field["name"] != original["name"]:
        errors.add(
            path + ["name"],
            field_error(
                "validation_system_field_change", "System fields cannot be renamed or retyped."
            ),
        )
    field["system"] = True
    if original.get("primaryKey"):
        field["primaryKey"] = True


def _normalize_rules(
    data: dict[str, Any], type_name: str, existing: Collection | None, errors: Errors
) -> dict[str, str | None]:
    names = RULE_NAMES + (AUTH_RULE_NAMES if type_name == AUTH else ())
    rules: dict[str, str | None] = dict(existing.rules) if existing else {}
    if not existing and type_name == AUTH:
        rules["authRule"] = ""
    for name in names:
        if name not in data:
            rules.setdefault(name, None)
            continue
        value = data[name]
        if value is not None and not isinstance(value, str):
            errors.add([name], field_error("validation_invalid_rule", "Invalid rule."))
            continue
        rules[name] = value
    if type_name == VIEW:
        for name in ("createRule", "updateRule", "deleteRule"):
            rules[name] = None
    return rules


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _merge(base.get(key), value)
        return out
    return copy.deepcopy(patch)


def _keep_provider_secrets(options: dict[str, Any], existing: Collection | None) -> None:
    """``clientSecret`` is write-only: a provider sent without one keeps the stored secret."""
    if existing is None:
        return
    stored = {
        p.get("name"): p.get("clientSecret", "")
        for p in existing.options.get("oauth2", {}).get("providers", [])
        if isinstance(p, dict)
    }
    for provider in options.get("oauth2", {}).get("providers", []):
        name = provider.get("name") if isinstance(provider, dict) else None
        if name and not provider.get("clientSecret") and stored.get(name):
            provider["clientSecret"] = stored[name]


def _normalize_auth_options(
    data: dict[str, Any], existing: Collection | None, errors: Errors
) -> dict[str, Any]:
    import secrets as _secrets

    options = copy.deepcopy(existing.options) if existing else copy.deepcopy(defaults.AUTH_OPTIONS)
    for key in ("authRule", "manageRule"):
        options.pop(key, None)
    for key, default in defaults.AUTH_OPTIONS.items():
        if key in ("authRule", "manageRule"):
            continue
        if key in data:
            if not isinstance(data[key], type(default)):
                errors.add([key], field_error("validation_invalid_value", "Invalid value."))
                continue
            options[key] = _merge(options.get(key, default), data[key])
    _keep_provider_secrets(options, existing)
    for key in defaults.AUTH_TOKEN_KEYS:
        duration = options[key].get("duration")
        if not isinstance(duration, int) or isinstance(duration, bool) or duration < 1:
            errors.add(
                [key, "duration"],
                field_error(
                    "validation_min_greater_equal_than_required", "Must be no less than 1."
                ),
            )
        options[key].setdefault("secret", _secrets.token_urlsafe(36))
    return options


def normalize_collection(
    data: dict[str, Any], existing: Collection | None = None, *, system: bool = False
) -> Schema:
    """Validate a create (existing=None) or a partial update; raise ValidationFailed on errors."""
    if not isinstance(data, dict):
        raise BadRequest(INVALID_FORMAT)
    action = "update" if existing else "create"
    errors = Errors()
    type_name = data.get("type", existing.type if existing else "base")
    if type_name not in TYPES:
        errors.add(["type"], field_error("validation_in_invalid", "Must be a valid value."))
        raise ValidationFailed(f"Failed to {action} collection.", errors)
    if existing and type_name != existing.type:
        errors.add(
            ["type"],
            field_error("validation_collection_type_change", "Collection type cannot be changed."),
        )
        raise ValidationFailed(f"Failed to {action} collection.", errors)
    name = data.get("name", existing.name if existing else None)
    _check_name(name, errors, existing, system)
    collection_id = existing.id if existing else _check_id(data, type_name, name, errors)
    if type_name == VIEW:
        fields: list[dict[str, Any]] = []
    else:
        fields = _normalize_fields(data.get("fields"), type_name, existing, errors)
    indexes = data.get("indexes", existing.indexes if existing else None)
    if indexes is None:
        indexes = defaults.auth_indexes(collection_id, str(name)) if type_name == AUTH else []
    if not isinstance(indexes, list) or not all(isinstance(i, str) for i in indexes):
        errors.add(
            ["indexes"],
            field_error("validation_invalid_value", "Must be a list of index statements."),
        )
        indexes = []
    rules = _normalize_rules(data, type_name, existing, errors)
    options: dict[str, Any] = {}
    if type_name == AUTH:
        options = _normalize_auth_options(data, existing, errors)
    if type_name == VIEW:
        query = data.get("viewQuery", existing.options.get("viewQuery") if existing else "")
        options = {"viewQuery": query if isinstance(query, str) else ""}
    schema = Schema(
        id=collection_id,
        name=str(name),
        type=type_name,
        system=existing.system if existing else system,
        fields=fields,
        indexes=list(indexes),
        rules=rules,
        options=options,
    )
    if errors:
        raise ValidationFailed(f"Failed to {action} collection.", errors)
    return schema
