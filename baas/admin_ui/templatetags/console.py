"""Small template filters for the console (dict lookups, value display)."""

from __future__ import annotations

from typing import Any

import orjson
from django import template

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    return ""


@register.filter
def option_text(field: dict[str, Any], option: Any) -> str:
    value = field.get(option.key)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@register.filter
def has_option(options: Any, key: str) -> bool:
    return any(o.key == key for o in options or ())


@register.filter
def cell(value: Any) -> str:
    """A short text for a table cell."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        text = orjson.dumps(value).decode()
        return text if len(text) <= 80 else text[:77] + "…"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


@register.filter
def as_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


@register.filter
def is_list(value: Any) -> bool:
    return isinstance(value, list)


@register.filter
def to_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


@register.filter
def is_image(name: Any) -> bool:
    return str(name).lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".webp"))


@register.filter
def level_choices(spec: str) -> list[tuple[int, str]]:
    """``"-4:debug,0:info"`` → ``[(-4, "debug"), (0, "info")]``."""
    out = []
    for item in spec.split(","):
        value, _, label = item.partition(":")
        out.append((int(value), label))
    return out


@register.filter
def split_words(text: str) -> list[str]:
    return text.split()
