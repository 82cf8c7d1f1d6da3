"""What hook files register: event handlers, custom routes and job functions.

A ``Registry`` is filled while the hooks directory is loaded (``loader``) and then
swapped in whole, so a request sees either the old hooks or the new ones, never half.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RECORD_EVENTS = tuple(
    f"records.{when}_{action}"
    for when in ("before", "after")
    for action in ("create", "update", "delete")
)
EVENTS = (*RECORD_EVENTS, "auth.before", "realtime.connect")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

Func = Callable[..., Any]


@dataclass(frozen=True)
class Handler:
    event: str
    collection: str | None  # a collection name or id; None = every collection
    func: Func
    source: str  # "file.py:function", for logs

    def applies_to(self, collection: Any) -> bool:
        if self.collection is None or collection is None:
            return self.collection is None
        wanted = self.collection.lower()
        return wanted in (collection.id.lower(), collection.name.lower())


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as registered, relative to /api/hooks/
    pattern: re.Pattern[str]
    func: Func
    source: str


@dataclass
class Registry:
    handlers: list[Handler] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    jobs: dict[str, tuple[Func, str]] = field(default_factory=dict)

    def handlers_for(self, event: str, collection: Any = None) -> list[Handler]:
        return [h for h in self.handlers if h.event == event and h.applies_to(collection)]

    def find_route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None

    def merged(self, other: Registry) -> Registry:
        return Registry(
            [*self.handlers, *other.handlers],
            [*self.routes, *other.routes],
            {**self.jobs, **other.jobs},
        )


def route_pattern(path: str) -> re.Pattern[str]:
    """``/items/{id}`` → a pattern for ``items/<one segment>`` (paths are relative)."""
    parts = _PARAM.split(path.strip("/"))
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(regex)
