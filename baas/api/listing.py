"""List query parameters and the list envelope (wire-api §2.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from baas.api.errors import BadRequest

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000
INT64 = (1 << 63) - 1
# The last page whose offset still fits a 64-bit SQL integer (beyond it every page is empty).
MAX_PAGE = INT64 // MAX_PER_PAGE
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
        value = int(raw)
    except ValueError:
        raise BadRequest() from None
    # Fix (baas.backups' hostile-input sweep): ``page=99999999999999999999`` overflowed
    # the SQL offset (SQLite: OverflowError) and the JSON encoder (orjson: 64-bit ints),
    # both a 500. Like the peer's Go ints, a number beyond 64 bits is a 400.
    if not -INT64 <= value <= INT64:
        raise BadRequest()
    return value


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
    page = min(max(_int(query, "page", 1), 1), MAX_PAGE)
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
