"""JSON Schemas (OpenAPI 3.1 dialect) of records, from the live collections' fields.

A record's schema is what the records API answers (wire-api §2.2): every visible field
with its wire type; hidden fields, ``password`` and ``tokenKey`` left out. No property
is ``required`` because ``?fields=`` may pick any subset. Request bodies take the same
types, loosely: the server coerces JSON values per field type (wire-api §1.2).
"""

from __future__ import annotations

from typing import Any

from baas.collections.fields import get_field_type
from baas.collections.models import Collection

Schema = dict[str, Any]

DATE = {
    "type": "string",
    "description": "UTC `YYYY-MM-DD HH:MM:SS.sssZ`, or empty.",
    "examples": ["2026-11-25 07:57:24.335Z"],
}
AUTH_SECRETS = ("password", "tokenKey")
READ_ONLY_TYPES = ("autodate",)


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def component(kind: str, collection: Collection) -> str:
    """Component names: ``Record_posts``, ``Create_posts`` ... (names are ``[A-Za-z0-9_]``)."""
    return f"{kind}_{collection.name}"


def _is_multi(field: dict[str, Any]) -> bool:
    field_type = get_field_type(field["type"])
    return field_type is not None and field_type.is_multi(field)


def _many(item: Schema, field: dict[str, Any]) -> Schema:
    return {"type": "array", "items": item} if _is_multi(field) else item


def value_schema(field: dict[str, Any]) -> Schema:
    """The wire value of one field (wire-api §1.2)."""
    kind = field["type"]
    if kind == "number":
        return {"type": "number"}
    if kind == "bool":
        return {"type": "boolean"}
    if kind in ("date", "autodate"):
        return dict(DATE)
    if kind == "select":
        values = list(dict.fromkeys(str(v) for v in field.get("values") or []))
        if _is_multi(field):
            return {"type": "array", "items": {"type": "string", "enum": values}}
        return {"type": "string", "enum": list(dict.fromkeys(["", *values]))}
    if kind == "json":
        return {"description": "Any JSON value (`null` when empty)."}
    if kind == "geoPoint":
        return {
            "type": "object",
            "properties": {"lon": {"type": "number"}, "lat": {"type": "number"}},
        }
    if kind == "relation":
        description = f"Record id(s) of collection `{field.get('collectionId', '')}`."
        return {**_many({"type": "string"}, field), "description": description}
    if kind == "file":
        return {**_many({"type": "string"}, field), "description": "Stored file name(s)."}
    return {"type": "string"}


def visible_fields(collection: Collection) -> list[dict[str, Any]]:
    out = []
    for field in collection.fields:
        if field.get("hidden") or get_field_type(field["type"]) is None:
            continue
        if collection.is_auth and field["name"] in AUTH_SECRETS:
            continue
        out.append(field)
    return out


def expand_schema(collection: Collection, described: dict[str, str]) -> Schema:
    """``expand`` (wire-api §2.3): each relation to a described collection, typed
    (``described``: collection id -> name); back-relations stay untyped."""
    properties: dict[str, Schema] = {}
    for field in visible_fields(collection):
        target = described.get(str(field.get("collectionId", "")))
        if field["type"] == "relation" and target:
            properties[field["name"]] = _many(ref(f"Record_{target}"), field)
    return {
        "type": "object",
        "description": "Expanded relations (`?expand=`): a record or a list of records.",
        "properties": properties,
        "additionalProperties": True,
    }


def record_schema(collection: Collection, described: dict[str, str]) -> Schema:
    properties: dict[str, Schema] = {
        "collectionId": {"type": "string", "const": collection.id},
        "collectionName": {"type": "string", "const": collection.name},
    }
    for field in visible_fields(collection):
        properties[field["name"]] = value_schema(field)
    properties["expand"] = expand_schema(collection, described)
    schema: Schema = {"type": "object", "properties": properties}
    if collection.is_auth:
        properties["email"] = {
            "type": "string",
            "description": "Shown to the owner, superusers, managers, or when emailVisibility.",
        }
    return schema


def _input_schema(field: dict[str, Any]) -> Schema:
    value = value_schema(field)
    if field["type"] == "file":
        single = {"type": "string", "contentMediaType": "application/octet-stream"}
        return {"type": "array", "items": single} if _is_multi(field) else single
    if field["type"] == "json":
        return {}
    if field.get("primaryKey"):  # the id: optional on create, else it must fit the pattern
        bounds = {"minLength": field.get("min") or 1, "maxLength": field.get("max") or 255}
        return {"type": "string", "pattern": field.get("pattern") or "^.+$", **bounds}
    return {k: v for k, v in value.items() if k not in ("examples", "description")}


def writable_fields(collection: Collection) -> list[dict[str, Any]]:
    return [
        f
        for f in collection.fields
        if get_field_type(f["type"]) is not None
        and f["type"] not in READ_ONLY_TYPES
        and f["name"] not in ("tokenKey",)
    ]


def body_schema(collection: Collection, *, create: bool) -> Schema:
    """Create/update body. The server coerces loosely typed values, so this is a guide."""
    properties: dict[str, Schema] = {}
    for field in writable_fields(collection):
        if field.get("primaryKey") and not create:
            continue
        value = _input_schema(field)
        if field.get("help"):
            value["description"] = str(field["help"])
        properties[field["name"]] = value
    if collection.is_auth:
        properties["passwordConfirm"] = {"type": "string"}
        if not create:
            properties["oldPassword"] = {"type": "string"}
    required = [
        f["name"]
        for f in writable_fields(collection)
        if create
        and f.get("required")
        and f["type"] not in ("bool", "file")
        and not f.get("autogeneratePattern")
    ]
    if collection.is_auth and create:
        required = sorted({*required, "password", "passwordConfirm"})
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def list_schema(item: Schema) -> Schema:
    return {
        "type": "object",
        "properties": {
            "page": {"type": "integer"},
            "perPage": {"type": "integer"},
            "totalItems": {"type": "integer"},
            "totalPages": {"type": "integer"},
            "items": {"type": "array", "items": item},
        },
        "required": ["page", "perPage", "totalItems", "totalPages", "items"],
    }


def auth_response_schema(collection: Collection) -> Schema:
    return {
        "type": "object",
        "properties": {
            "token": {"type": "string", "description": "JWT for the `Authorization` header."},
            "record": ref(component("Record", collection)),
            "meta": {"type": "object", "description": "OAuth2 only: the provider's data."},
        },
    }


ERROR: Schema = {
    "type": "object",
    "description": "The error envelope (wire-api §0.1).",
    "properties": {
        "status": {"type": "integer"},
        "message": {"type": "string"},
        "data": {
            "type": "object",
            "description": "Field errors: `{field: {code, message, params?}}`; `{}` otherwise.",
        },
    },
    "required": ["status", "message", "data"],
}

AGGREGATE_ITEM: Schema = {
    "type": "object",
    "properties": {
        "group": {"type": "object", "description": "The groupBy fields' values."},
        "count": {"type": "integer"},
        "sum": {"type": "object", "additionalProperties": {"type": "number"}},
        "avg": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
        "min": {"type": "object"},
        "max": {"type": "object"},
    },
    "required": ["group"],
}


def common_schemas() -> dict[str, Schema]:
    return {
        "Error": ERROR,
        "AggregateList": list_schema(AGGREGATE_ITEM),
        "AnyObject": {"type": "object"},
    }
