"""SQL fragments with their bound parameters, composed without string-formatting user data.

A ``Frag`` is SQL text with ``%s`` placeholders plus the parameters in order. The
text of a fragment only ever contains keywords, quoted physical names (from ids,
``naming.py``) and placeholders; every user value is a parameter. Literal ``%``
never appears in the text (Django's cursors would read it as a placeholder).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import connection


class Frag(NamedTuple):
    sql: str
    params: tuple[Any, ...] = ()


def param(value: Any) -> Frag:
    return Frag("%s", (value,))


def raw(sql: str) -> Frag:
    """Trusted SQL text (keywords, quoted names); never pass user text here."""
    assert "%" not in sql, "literal % must be passed as a parameter"
    return Frag(sql)


def join(frags: Sequence[Frag], sep: str) -> Frag:
    return Frag(sep.join(f.sql for f in frags), tuple(p for f in frags for p in f.params))


def fmt(template: str, *parts: Frag | str) -> Frag:
    """Fill ``{}`` slots of a trusted template with fragments (str parts are raw SQL)."""
    assert "%" not in template, "literal % must be passed as a parameter"
    pieces = template.split("{}")
    if len(pieces) != len(parts) + 1:
        raise ValueError("template slots and parts differ")
    sql: list[str] = [pieces[0]]
    params: list[Any] = []
    for part, tail in zip(parts, pieces[1:], strict=True):
        frag = raw(part) if isinstance(part, str) else part
        sql.append(frag.sql)
        params.extend(frag.params)
        sql.append(tail)
    return Frag("".join(sql), tuple(params))


def qn(name: str) -> str:
    """Quote a physical name (table, column, alias) produced by our own code."""
    return connection.ops.quote_name(name)


def col(alias: str, column: str) -> Frag:
    return Frag(f"{qn(alias)}.{qn(column)}")


TRUE = Frag("(1=1)")
FALSE = Frag("(1=0)")
NULL = Frag("NULL")
