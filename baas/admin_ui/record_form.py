"""The record editor's form ⇄ a record body (wire-api §1.2 values, §2.5 modifiers).

Each field type gets an input that matches its value: dates as ``datetime-local``
(UTC), multi selects as checkboxes, relations as a picker of hidden inputs, JSON as
text parsed here, files as uploads plus "remove" checkboxes (sent as ``field-``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict

SKIPPED = {"tokenKey"}
AUTH_FIRST = ("email", "password", "emailVisibility", "verified")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp")


def is_multi(field: dict[str, Any]) -> bool:
    return field["type"] in ("select", "file", "relation") and int(field.get("maxSelect") or 0) > 1


def editable_fields(collection: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields a record form shows, in schema order with the timestamps last."""
    shown = [
        f
        for f in collection["fields"]
        if f["name"] not in SKIPPED and not (f["name"] == "id" and f.get("primaryKey"))
    ]
    return sorted(shown, key=_form_position)


def _form_position(field: dict[str, Any]) -> int:
    """Auth records lead with their account fields; timestamps go last."""
    if field["name"] in AUTH_FIRST and field.get("system"):
        return 0
    return 2 if field["type"] == "autodate" else 1


def wire_to_local(value: str) -> str:
    """``2026-11-25 07:57:24.335Z`` → ``2026-11-25T07:57:24`` for ``datetime-local``."""
    if not value:
        return ""
    return value[:19].replace(" ", "T")


def local_to_wire(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    date, _, time = value.partition("T")
    time = (time or "00:00:00") + (":00" if len(time) == 5 else "")
    return f"{date} {time}.000Z"


def is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


def _number(raw: str) -> Any:
    raw = raw.strip()
    if raw == "":
        return 0
    number = float(raw)
    return int(number) if number.is_integer() else number


def body_from_form(
    collection: dict[str, Any], post: QueryDict, files: Any, is_new: bool
) -> tuple[dict[str, Any], dict[str, list[UploadedFile]], dict[str, str]]:
    """(JSON body, uploads by multipart key, local errors by field name)."""
    body: dict[str, Any] = {}
    uploads: dict[str, list[UploadedFile]] = {}
    errors: dict[str, str] = {}
    record_id = str(post.get("id", "")).strip()
    if is_new and record_id:
        body["id"] = record_id
    for field in editable_fields(collection):
        name, kind = field["name"], field["type"]
        if kind == "autodate":
            continue
        if kind == "password":
            if post.get(name):
                body[name] = post[name]
                if collection["type"] == "auth" and name == "password":
                    body["passwordConfirm"] = post.get("passwordConfirm", "")
            continue
        if kind == "file":
            _file_values(field, post, files, body, uploads)
            continue
        if f"{name}.present" not in post:
            continue  # not on the form (e.g. a partial form); leave the stored value
        try:
            body[name] = _value(field, post)
        except ValueError as exc:
            errors[name] = str(exc)
    return body, uploads, errors


def _value(field: dict[str, Any], post: QueryDict) -> Any:
    name, kind = field["name"], field["type"]
    if kind == "bool":
        return post.get(name) == "on"
    if kind == "number":
        try:
            return _number(str(post.get(name, "")))
        except ValueError:
            raise ValueError("Must be a number.") from None
    if kind == "date":
        return local_to_wire(str(post.get(name, "")))
    if kind == "json":
        raw = str(post.get(name, "")).strip()
        if raw == "":
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Invalid JSON: {exc.msg} (line {exc.lineno}).") from None
    if kind == "geoPoint":
        try:
            return {
                "lon": _number(post.get(f"{name}.lon", "")),
                "lat": _number(post.get(f"{name}.lat", "")),
            }
        except ValueError:
            raise ValueError("Longitude and latitude must be numbers.") from None
    if kind in ("select", "relation"):
        values = [v for v in post.getlist(name) if v]
        return values if is_multi(field) else (values[-1] if values else "")
    return post.get(name, "")


def _file_values(
    field: dict[str, Any],
    post: QueryDict,
    files: Any,
    body: dict[str, Any],
    uploads: dict[str, list[UploadedFile]],
) -> None:
    name = field["name"]
    removed = post.getlist(f"{name}.remove")
    new = [f for f in files.getlist(name) if f.size or f.name] if files else []
    if is_multi(field):
        if removed:
            body[f"{name}-"] = removed
        if new:
            uploads[f"{name}+"] = new
    elif new:
        uploads[name] = new[-1:]
    elif removed:
        body[name] = ""


def input_value(field: dict[str, Any], record: dict[str, Any] | None) -> Any:
    """What the form shows for a field (the stored value, or the zero value for a new record)."""
    value = (record or {}).get(field["name"])
    kind = field["type"]
    if kind == "date":
        return wire_to_local(value or "")
    if kind == "json":
        return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)
    if kind in ("select", "relation", "file"):
        if value in (None, ""):
            return []
        return value if isinstance(value, list) else [value]
    if kind == "geoPoint":
        return value or {"lon": 0, "lat": 0}
    if kind == "password":
        return ""
    return "" if value is None else value
