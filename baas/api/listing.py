"""List query parameters and the list envelope (wire-api §2.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from baas.api.errors import BadRequest

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000
TRUE = {"1", "t", "T", "TRUE", "true", "True"}
FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int
    skip_total: bool

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _int(query: QueryDict, name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest() from None


def parse_bool(raw: str | None) -> bool:
    """Go's strconv.ParseBool, as the peer uses for ``skipTotal``."""
    if raw is None or raw == "":
        return False
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise BadRequest()


def parse_page(query: QueryDict) -> Page:
    page = max(_int(query, "page", 1), 1)
    per_page = _int(query, "perPage", DEFAULT_PER_PAGE)
    if per_page <= 0:
        per_page = DEFAULT_PER_PAGE
    per_page = min(per_page, MAX_PER_PAGE)
    return Page(page=page, per_page=per_page, skip_total=parse_bool(query.get("skipTotal")))


def envelope(page: Page, items: list[Any], total: int | None) -> dict[str, Any]:
    if total is None:
        total_items = total_pages = -1
    else:
        total_items = total
        total_pages = (total + page.per_page - 1) // page.per_page
    return {
        "page": page.page,
        "perPage": page.per_page,
        "totalItems": total_items,
        "totalPages": total_pages,
        "items": items,
    }
