"""The collection editor's form ⇄ the collection JSON of wire-api §1.1–1.2.

Each field card posts ``f=<key>`` (their order is the field order) and
``<key>.<option>`` inputs; ``OPTIONS`` says, per field type, which options the card
shows and how each is parsed. New fields get no id (the server derives it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from baas.collections.models import AUTH_RULE_NAMES, RULE_NAMES


@dataclass(frozen=True)
class Option:
    key: str
    kind: str  # int | int_or_null | text | bool | list | collection | select
    label: str
    help: str = ""
    choices: tuple[str, ...] = ()


TYPES = (
    "text",
    "number",
    "bool",
    "email",
    "url",
    "editor",
    "date",
    "autodate",
    "select",
    "json",
    "file",
    "relation",
    "password",
    "geoPoint",
)

_DOMAINS = (
    Option("exceptDomains", "list", "Except domains", "Comma separated"),
    Option("onlyDomains", "list", "Only domains", "Comma separated"),
)
OPTIONS: dict[str, tuple[Option, ...]] = {
    "text": (
        Option("min", "int", "Min length"),
        Option("max", "int", "Max length", "0 = default limit (5000)"),
        Option("pattern", "text", "Regex pattern", "e.g. ^[a-z0-9]+$"),
        Option("autogeneratePattern", "text", "Autogenerate pattern", "e.g. [a-z0-9]{10}"),
    ),
    "number": (
        Option("min", "int_or_null", "Min"),
        Option("max", "int_or_null", "Max"),
        Option("onlyInt", "bool", "Integers only"),
    ),
    "bool": (),
    "email": _DOMAINS,
    "url": _DOMAINS,
    "editor": (
        Option("maxSize", "int", "Max size (bytes)", "0 = default (~5 MB)"),
        Option("convertURLs", "bool", "Convert URLs to relative"),
    ),
    "date": (
        Option("min", "text", "Min date", "YYYY-MM-DD HH:MM:SS.sssZ or blank"),
        Option("max", "text", "Max date", "YYYY-MM-DD HH:MM:SS.sssZ or blank"),
    ),
    "autodate": (
        Option("onCreate", "bool", "Set on create"),
        Option("onUpdate", "bool", "Set on update"),
    ),
    "select": (
        Option("values", "list", "Choices", "Comma separated"),
        Option("maxSelect", "int", "Max selected", "1 = single value, more = a list"),
    ),
    "json": (Option("maxSize", "int", "Max size (bytes)", "0 = default (~1 MB)"),),
    "file": (
        Option("maxSelect", "int", "Max files", "1 = single file"),
        Option("maxSize", "int", "Max size per file (bytes)", "0 = default (5 MiB)"),
        Option("mimeTypes", "list", "Allowed MIME types", "Comma separated; blank = any"),
        Option("thumbs", "list", "Thumb sizes", "e.g. 100x100, 0x300, 200x200t"),
        Option("protected", "bool", "Protected (needs a file token)"),
    ),
    "relation": (
        Option("collectionId", "collection", "Related collection"),
        Option("cascadeDelete", "bool", "Cascade delete"),
        Option("minSelect", "int", "Min selected"),
        Option("maxSelect", "int", "Max selected", "1 = single relation"),
    ),
    "password": (
        Option("min", "int", "Min length"),
        Option("max", "int", "Max length"),
        Option("pattern", "text", "Regex pattern"),
        Option("cost", "int", "bcrypt cost", "0 = default"),
    ),
    "geoPoint": (),
}
NEW_DEFAULTS: dict[str, dict[str, Any]] = {
    "select": {"maxSelect": 1, "values": []},
    "file": {"maxSelect": 1},
    "relation": {"maxSelect": 1},
    "autodate": {"onCreate": True},
}


def rule_names(collection_type: str) -> tuple[str, ...]:
    if collection_type == "view":
        return ("listRule", "viewRule")
    if collection_type == "auth":
        return RULE_NAMES + AUTH_RULE_NAMES
    return RULE_NAMES


def new_key() -> str:
    return "new" + secrets.token_hex(4)


def new_field(type_name: str) -> dict[str, Any]:
    field: dict[str, Any] = {"name": "", "type": type_name, "system": False, "hidden": False}
    field.update(NEW_DEFAULTS.get(type_name, {}))
    return field


def _parse_option(option: Option, raw: str | None, checked: bool) -> tuple[Any, str | None]:
    if option.kind == "bool":
        return checked, None
    raw = (raw or "").strip()
    if option.kind in ("int", "int_or_null"):
        if raw == "":
            return (None if option.kind == "int_or_null" else 0), None
        try:
            number = float(raw)
        except ValueError:
            return raw, "Must be a number."
        return (int(number) if number.is_integer() else number), None
    if option.kind == "list":
        return [item.strip() for item in raw.split(",") if item.strip()], None
    return raw, None


def fields_from_form(post: QueryDict, existing: list[dict[str, Any]]) -> tuple[list, dict, list]:
    """(fields, errors by key, removed fields) from the posted cards, in posted order."""
    by_id = {f["id"]: f for f in existing if f.get("id")}
    fields: list[dict[str, Any]] = []
    errors: dict[str, dict[str, str]] = {}
    removed: list[dict[str, Any]] = []
    for key in post.getlist("f"):
        old = by_id.get(key)
        type_name = old["type"] if old else post.get(f"{key}.type", "text")
        if post.get(f"{key}.removed") == "1" and old is not None and not old.get("system"):
            removed.append(old)
            continue
        field: dict[str, Any] = dict(old) if old else {"type": type_name}
        field["name"] = (
            old["name"] if old and old.get("system") else post.get(f"{key}.name", "").strip()
        )
        for flag in ("required", "hidden", "presentable"):
            field[flag] = post.get(f"{key}.{flag}") == "on"
        if type_name != "autodate":
            field["help"] = post.get(f"{key}.help", "")
        else:
            field.pop("required", None)
        for option in OPTIONS.get(type_name, ()):
            value, error = _parse_option(
                option, post.get(f"{key}.{option.key}"), post.get(f"{key}.{option.key}") == "on"
            )
            if error:
                errors.setdefault(key, {})[option.key] = error
            field[option.key] = value
        fields.append(field)
    return fields, errors, removed


def rules_from_form(post: QueryDict, collection_type: str) -> dict[str, str | None]:
    rules: dict[str, str | None] = {}
    for name in rule_names(collection_type):
        if post.get(f"{name}.locked") == "on":
            rules[name] = None
        else:
            rules[name] = post.get(name, "")
    return rules


def indexes_from_form(post: QueryDict) -> list[str]:
    text = post.get("indexes", "")
    return [line.strip() for line in text.splitlines() if line.strip()]


def collection_from_form(post: QueryDict, existing: dict[str, Any] | None) -> tuple[dict, dict]:
    """The JSON body for POST/PATCH /api/collections, and per-card option errors."""
    collection_type = existing["type"] if existing else post.get("type", "base")
    body: dict[str, Any] = {"name": post.get("name", "").strip(), "type": collection_type}
    errors: dict[str, Any] = {}
    if collection_type == "view":
        body["viewQuery"] = post.get("viewQuery", "")
    elif "f" in post:  # a partial post (e.g. a rule check) keeps the stored fields
        fields, errors, _ = fields_from_form(post, existing["fields"] if existing else [])
        body["fields"] = fields
        body["indexes"] = indexes_from_form(post)
    body.update(rules_from_form(post, collection_type))
    return body, errors


def error_at(errors: dict[str, Any], *path: str) -> str:
    node: Any = errors
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return ""
        node = node[key]
    if isinstance(node, dict) and "message" in node:
        return str(node["message"])
    return ""
