"""The ``?fields=`` picker (wire-api §2.4), including ``:excerpt(max[,ellipsis])``."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

from baas.api.errors import BadRequest

_EXCERPT = re.compile(r"^(?P<name>[^:]+):excerpt\((?P<args>[^)]*)\)$")
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")

Tree = dict[str, Any]  # name -> subtree, or ("excerpt", max, ellipsis) leaves


def _split(spec: str) -> list[str]:
    """Split on commas outside parentheses (``body:excerpt(20,true),id``)."""
    items, depth, start = [], 0, 0
    for index, char in enumerate(spec):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            items.append(spec[start:index])
            start = index + 1
    items.append(spec[start:])
    return items


@lru_cache(maxsize=512)
def parse_fields(spec: str) -> Tree:
    tree: Tree = {}
    for raw in _split(spec):
        item = raw.strip()
        if not item:
            continue
        modifier = None
        match = _EXCERPT.match(item)
        if match:
            item, modifier = match["name"], _excerpt_args(match["args"])
        elif ":" in item:
            raise BadRequest()
        node = tree
        parts = item.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = modifier if modifier else node.get(parts[-1], True)
    return tree


def _excerpt_args(raw: str) -> tuple[str, int, bool]:
    args = [a.strip() for a in raw.split(",") if a.strip()]
    if not args:
        raise BadRequest()
    try:
        length = int(args[0])
    except ValueError:
        raise BadRequest() from None
    if length <= 0:
        raise BadRequest()
    ellipsis = len(args) > 1 and args[1].lower() in {"1", "true", "t"}
    return ("excerpt", length, ellipsis)


def excerpt(value: Any, length: int, ellipsis: bool) -> Any:
    if not isinstance(value, str):
        return value
    text = _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", value))).strip()
    if len(text) <= length:
        return text
    return text[:length].rstrip() + ("..." if ellipsis else "")


def pick(data: Any, tree: Tree) -> Any:
    if not isinstance(data, dict):
        return data
    if "*" in tree and len(tree) == 1 and tree["*"] is True:
        return data
    out: dict[str, Any] = {}
    star = tree.get("*")
    for key, value in data.items():
        rule = tree.get(key, star if star is not None else None)
        if rule is None:
            continue
        if rule is True:
            out[key] = value
        elif isinstance(rule, tuple):
            out[key] = excerpt(value, rule[1], rule[2])
        elif isinstance(value, list):
            out[key] = [pick(item, rule) for item in value]
        else:
            out[key] = pick(value, rule)
    return out
