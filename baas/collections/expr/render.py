"""Per-database renderings of ``Value``s: as text, as jsonb, and SQLite's affinity
conversions (the rules of sqlite.org/datatype3.html §4.2, applied before a comparison).

On SQLite our columns already have the affinities the binary's columns have, so the
database does the conversions itself; we still convert known literals in Python (it
gives the same result and covers the few operands whose SQL has no affinity of its
own, such as the JSON text of a multi-value field). On PostgreSQL every conversion is
explicit.
"""

from __future__ import annotations

from collections.abc import Callable

from .sql import Frag, fmt, param, qn, raw
from .values import (
    PG_NUMERIC_TEXT,
    Aff,
    Cls,
    Dialect,
    NumFmt,
    Value,
    number_literal,
    sqlite_numeric,
    sqlite_text,
    text_literal,
    with_frag,
)

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _costly(frag: Frag) -> bool:
    return "SELECT" in frag.sql or len(frag.sql) > 200


def pg_let(frags: list[Frag], build: Callable[..., Frag]) -> Frag:
    """Evaluate costly operands once: ``(SELECT build(a0, a1) FROM (SELECT x AS a0, y AS a1))``.

    The PostgreSQL renderings below mention an operand several times (CASE branches);
    with subqueries inside, repeating them multiplies the work per row.
    """
    if not any(_costly(f) for f in frags):
        return build(*frags)
    refs = [Frag(f"{qn('__l')}.{qn(f'a{i}')}") for i in range(len(frags))]
    columns = ", ".join(f"{{}} AS {qn(f'a{i}')}" for i in range(len(frags)))
    # OFFSET 0 keeps the planner from inlining the operands back into every mention.
    return fmt(
        f"(SELECT {{}} FROM (SELECT {columns} OFFSET 0) AS {qn('__l')})", build(*refs), *frags
    )


EMPTY_JSON_STRING = "to_jsonb(CAST('' AS text))"


def ascii_lower(d: Dialect, frag: Frag) -> Frag:
    """SQLite's LOWER() and LIKE fold ASCII letters only; PostgreSQL's LOWER() folds all."""
    if d.pg:
        return fmt(f"translate({{}}, '{_UPPER}', '{_UPPER.lower()}')", frag)
    return fmt("LOWER({})", frag)


def text_of(d: Dialect, value: Value) -> Frag:
    """The operand as SQLite would print it (LIKE, LOWER, ``||``)."""
    if value.is_literal:
        if value.literal is None:
            return raw("NULL")
        text = sqlite_text(value.literal)
        return fmt("CAST({} AS text)", param(text)) if d.pg else param(text)
    if value.cls is Cls.NUM:
        return _num_text(d, value)
    if d.pg and value.cls is Cls.DYN:
        return pg_dyn_text(value.frag)
    return value.frag


def _num_text(d: Dialect, value: Value) -> Frag:
    x = value.frag
    if not d.pg:
        if value.numfmt is NumFmt.COLUMN:  # the binary stores integral numbers as INTEGER
            return fmt(
                "(CASE WHEN {} = CAST({} AS INTEGER) THEN CAST({} AS INTEGER) ELSE {} END)",
                x,
                x,
                x,
                x,
            )
        return x
    if value.numfmt is NumFmt.INT:
        return fmt("CAST({} AS text)", x)
    suffix = " || '.0'" if value.numfmt is NumFmt.REAL else ""
    limit = "1e15" if value.numfmt is NumFmt.REAL else "9.2e18"
    return pg_let([x], lambda x: fmt(
        "(CASE WHEN {} = trunc({}) AND abs({}) < " + limit + " THEN CAST(CAST({} AS bigint) AS text)" + suffix
        + " ELSE CAST({} AS text) END)",
        x, x, x, x, x,
    ))  # fmt: skip


# --- PostgreSQL: jsonb as the carrier of per-row storage classes ----------------------


def pg_to_dyn(value: Value) -> Frag:
    if value.cls is Cls.DYN:
        return value.frag
    if value.cls is Cls.NULL:
        return raw("CAST(NULL AS jsonb)")
    if value.cls is Cls.NUM:
        return fmt("to_jsonb(CAST({} AS double precision))", value.frag)
    return fmt("to_jsonb(CAST({} AS text))", value.frag)


def pg_dyn_rank(x: Frag) -> Frag:
    """1 for SQLite numbers (JSON numbers and booleans), 2 for texts, NULL for null."""
    return fmt(
        "(CASE jsonb_typeof({}) WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2"
        " WHEN 'array' THEN 2 WHEN 'object' THEN 2 END)",
        x,
    )


def pg_dyn_num(x: Frag) -> Frag:
    return fmt(
        "(CASE jsonb_typeof({}) WHEN 'number' THEN CAST({} AS double precision)"
        " WHEN 'boolean' THEN (CASE WHEN {} = CAST('true' AS jsonb) THEN 1.0 ELSE 0.0 END) END)",
        x, x, x,
    )  # fmt: skip


def pg_dyn_text(x: Frag) -> Frag:
    """SQLite's text of a JSON value: strings unquoted, booleans 1/0, containers compact."""
    return pg_let([x], _dyn_text)


def _dyn_text(x: Frag) -> Frag:
    return fmt(
        "(CASE jsonb_typeof({}) WHEN 'string' THEN ({} #>> {}) WHEN 'null' THEN NULL"
        " WHEN 'boolean' THEN (CASE WHEN {} = CAST('true' AS jsonb) THEN '1' ELSE '0' END)"
        " WHEN 'number' THEN CAST({} AS text) ELSE {} END)",
        x, x, "'{}'", x, x, pg_json_compact(x),
    )  # fmt: skip


def pg_json_compact(x: Frag) -> Frag:
    """Compact JSON text of an array/object, keys sorted like the binary stores them.

    One level deep: nested containers keep PostgreSQL's spacing (documented difference).
    """
    return fmt(
        "(CASE jsonb_typeof({}) WHEN 'array' THEN '[' || COALESCE((SELECT string_agg(CAST(q.e AS text), ','"
        " ORDER BY q.o) FROM jsonb_array_elements({}) WITH ORDINALITY AS q(e, o)), '') || ']'"
        " WHEN 'object' THEN chr(123) || COALESCE((SELECT string_agg(CAST(to_jsonb(q.k) AS text) || ':'"
        " || CAST(q.v AS text), ',' ORDER BY q.k COLLATE \"C\") FROM jsonb_each({}) AS q(k, v)), '') || chr(125)"
        " ELSE CAST({} AS text) END)",
        x, x, x, x,
    )  # fmt: skip


def coalesce_empty(d: Dialect, value: Value) -> Value:
    """``COALESCE(x, '')`` of the binary's equality fallback; the result has no affinity."""
    if not d.pg:
        cls = Cls.TEXT if value.cls in (Cls.TEXT, Cls.NULL) else Cls.DYN
        return Value(fmt("COALESCE({}, '')", value.frag), cls, numfmt=value.numfmt)
    if value.cls is Cls.NULL:
        return Value(raw("CAST('' AS text)"), Cls.TEXT, literal="")
    if value.cls is Cls.TEXT:
        return Value(fmt("COALESCE({}, '')", value.frag), Cls.TEXT)
    return Value(fmt("COALESCE({}, " + EMPTY_JSON_STRING + ")", pg_to_dyn(value)), Cls.DYN)


# --- affinity ---------------------------------------------------------------------------


def apply_affinity(d: Dialect, a: Value, b: Value) -> tuple[Value, Value]:
    """Convert the operands the way SQLite does before comparing them."""
    if a.aff is Aff.NUM and b.aff is not Aff.NUM:
        return a, to_numeric(d, b)
    if b.aff is Aff.NUM and a.aff is not Aff.NUM:
        return to_numeric(d, a), b
    if a.aff is Aff.TEXT and b.aff is Aff.NONE:
        return a, to_text(d, b)
    if b.aff is Aff.TEXT and a.aff is Aff.NONE:
        return to_text(d, a), b
    return a, b


def to_numeric(d: Dialect, value: Value) -> Value:
    """NUMERIC affinity: a text that reads as a number becomes that number."""
    if value.is_literal:
        if isinstance(value.literal, str):
            number = sqlite_numeric(value.literal)
            if number is not None:
                return number_literal(d, number)
        return value
    if not d.pg or value.cls not in (Cls.TEXT, Cls.DYN):
        return value
    if value.cls is Cls.TEXT:
        return Value(pg_let([value.frag], _text_to_number), Cls.DYN)
    return with_frag(value, pg_let([value.frag], _json_string_to_number))


def _text_to_number(x: Frag) -> Frag:
    return fmt(
        "(CASE WHEN length({}) < 200 AND {} ~ {} THEN to_jsonb(CAST({} AS double precision)) ELSE to_jsonb({}) END)",
        x, x, param(PG_NUMERIC_TEXT), x, x,
    )  # fmt: skip


def _json_string_to_number(x: Frag) -> Frag:
    return fmt(
        "(CASE WHEN jsonb_typeof({}) = 'string' AND length({} #>> {}) < 200 AND ({} #>> {}) ~ {}"
        " THEN to_jsonb(CAST({} #>> {} AS double precision)) ELSE {} END)",
        x, x, "'{}'", x, "'{}'", param(PG_NUMERIC_TEXT), x, "'{}'", x,
    )  # fmt: skip


def to_text(d: Dialect, value: Value) -> Value:
    """TEXT affinity: a number becomes its SQLite text ('2.0' for the REAL 2.0)."""
    if value.is_literal:
        if isinstance(value.literal, int | float) and not isinstance(value.literal, bool):
            return text_literal(d, sqlite_text(value.literal))
        return value
    if not d.pg:
        return value
    if value.cls is Cls.NUM:
        return Value(text_of(d, value), Cls.TEXT)
    if value.cls is Cls.DYN:
        return with_frag(value, pg_let([value.frag], _json_number_to_text))
    return value


def _json_number_to_text(x: Frag) -> Frag:
    return fmt(
        "(CASE jsonb_typeof({}) WHEN 'number' THEN to_jsonb(CAST({} AS text))"
        " WHEN 'boolean' THEN to_jsonb(CASE WHEN {} = CAST('true' AS jsonb) THEN '1' ELSE '0' END)"
        " ELSE {} END)",
        x, x, x, x,
    )  # fmt: skip
