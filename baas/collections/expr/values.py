"""Typed SQL operands that carry SQLite's comparison semantics to both databases.

The binary runs on SQLite, whose comparisons depend on *affinity* (column types) and
*storage class* (the value's runtime type): ``n > "1"`` compares numerically because
``n`` has numeric affinity, ``title = 2`` compares ``title`` with the text ``'2.0'``,
a number is always less than a text, and JSON values keep their JSON types
(wire-api §3.2). A ``Value`` records what SQLite would know about an operand so the
comparison code (``compare.py``) can emit SQL that reproduces the same outcome on
PostgreSQL, where the same SQL would raise a type error or compare differently.

On PostgreSQL a value whose storage class varies per row (``Cls.DYN``) is carried as
``jsonb``: numbers (and JSON booleans, which SQLite reads as 1/0) sort before texts.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum
from typing import Any

from .sql import Frag, fmt, param, raw


class Cls(Enum):
    """Storage class of the operand's values (SQLite's runtime type)."""

    NULL = "null"
    NUM = "num"
    TEXT = "text"
    DYN = "dyn"  # varies per row: JSON values (jsonb on PostgreSQL)


class Aff(Enum):
    """SQLite affinity of the operand (columns have one, expressions do not)."""

    NONE = "none"
    NUM = "numeric"
    TEXT = "text"


class NF(Enum):
    """PocketBase's NULL-fallback preference for = and != (tools/search)."""

    AUTO = 0
    DISABLED = 1  # compare with IS / IS NOT (JSON values, geoDistance)
    ENFORCED = 2  # never treat as known non-empty (strftime)


class NumFmt(Enum):
    """How a numeric value turns into text (LIKE, LOWER, text affinity)."""

    INT = "int"
    REAL = "real"  # SQLite's %!.15g: 2.0 -> '2.0'
    COLUMN = "column"  # a number field: integral values print as integers ('2')


NOLIT: Any = object()  # "not a known literal"


@dataclass(frozen=True)
class Dialect:
    pg: bool


@dataclass(frozen=True)
class Value:
    frag: Frag
    cls: Cls
    aff: Aff = Aff.NONE
    numfmt: NumFmt = NumFmt.REAL
    literal: Any = NOLIT  # the Python value when the operand is one bound parameter
    pb_ident: str | None = None  # keyword identifiers PB's = shortcuts look at (NULL, 1, 0, TRUE)
    pb_params: tuple[Any, ...] = ()  # the values the binary binds for this operand
    nf: NF = NF.AUTO
    # Re-renders the operand with substituted pb_params (LIKE's %-wrapping of the pattern).
    rebuild: Callable[[tuple[Any, ...]], Frag] | None = None
    # (frag, column) of a nullable column read as ``COALESCE(column, '')``: while the
    # value's frag is still that frag, ``= <non-empty text>`` may test the column itself,
    # which an index serves (``compare._equal``). A changed frag drops the shortcut.
    bare: tuple[Frag, Frag] | None = None

    @property
    def is_literal(self) -> bool:
        return self.literal is not NOLIT


# --- SQLite's conversions, in Python ------------------------------------------------

_NUMERIC_TEXT = re.compile(r"^[ \t\n\v\f\r]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t\n\v\f\r]*$")
# The same test in PostgreSQL's regex dialect (applied by the SQL we emit there).
PG_NUMERIC_TEXT = (
    r"^[ \t\n\v\f\r]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,2})?[ \t\n\v\f\r]*$"
)


def sqlite_numeric(text: str) -> float | None:
    """The number SQLite's NUMERIC affinity makes of ``text``, or None if it stays text."""
    if not _NUMERIC_TEXT.match(text):
        return None
    return float(text.strip(" \t\n\v\f\r"))


def sqlite_real_text(value: float) -> str:
    """SQLite's text for a REAL (printf ``%!.15g``): 2.0 -> '2.0', 1e20 -> '1.0e+20'.

    Exact for values with at most 15 significant digits; beyond that SQLite's own digit
    generation (which varies between versions) may round the last digit differently.
    """
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0.0"
    text = f"{value:.15g}"
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}e{exponent}" if exponent else mantissa


def sqlite_text(value: Any) -> str:
    """SQLite's text of a bound parameter (int and float as the binary binds them)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return sqlite_real_text(value)
    return str(value)


def go_string(value: Any) -> str:
    """``cast.ToString`` as the binary applies it to LIKE patterns (2.0 -> '2')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return {math.inf: "+Inf", -math.inf: "-Inf"}.get(value, "NaN")
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def go_json(value: Any) -> str:
    """Compact JSON with sorted keys, the way the binary serialises request values."""
    return json.dumps(_go_numbers(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _go_numbers(value: Any) -> Any:
    """Go prints the float64 5.0 as ``5``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, list | tuple):
        return [_go_numbers(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _go_numbers(item) for key, item in value.items()}
    return value


# --- constructors ---------------------------------------------------------------------


def text_literal(d: Dialect, value: str, *, pb_params: tuple[Any, ...] | None = None) -> Value:
    def build(params: tuple[Any, ...]) -> Frag:
        return _text_param(d, go_string(params[0]))

    return Value(
        _text_param(d, value),
        Cls.TEXT,
        literal=value,
        pb_params=(value,) if pb_params is None else pb_params,
        rebuild=build,
    )


def number_literal(
    d: Dialect, value: float | int, *, pb_params: tuple[Any, ...] | None = None
) -> Value:
    is_int = isinstance(value, int)

    def build(params: tuple[Any, ...]) -> Frag:
        return _text_param(d, go_string(params[0]))

    return Value(
        _number_param(d, value),
        Cls.NUM,
        numfmt=NumFmt.INT if is_int else NumFmt.REAL,
        literal=value,
        pb_params=(value,) if pb_params is None else pb_params,
        rebuild=build,
    )


def keyword_int(d: Dialect, value: int, ident: str) -> Value:
    """``true``/``false`` (the binary's identifiers 1/0) and ``:isset``'s TRUE/FALSE."""
    return Value(raw(str(value)), Cls.NUM, numfmt=NumFmt.INT, literal=value, pb_ident=ident)


def null_value() -> Value:
    return Value(raw("NULL"), Cls.NULL, literal=None, pb_ident="NULL")


EMPTY_TEXT_SQL = "''"


def empty_text() -> Value:
    """The ``''`` the binary substitutes for an empty operand (no affinity)."""
    return Value(raw(EMPTY_TEXT_SQL), Cls.TEXT, literal="")


def static_value(d: Dialect, value: Any) -> Value:
    """A value known at compile time (``@request.*``), bound the way the binary binds it."""
    if value is None:
        return null_value()
    if isinstance(value, bool):
        return number_literal(d, int(value), pb_params=(value,))
    if isinstance(value, int | float):
        return number_literal(d, float(value))  # JSON numbers are float64 in Go
    if isinstance(value, str):
        return text_literal(d, value)
    encoded = go_json(value)
    return text_literal(d, encoded)


def _text_param(d: Dialect, value: str) -> Frag:
    return fmt("CAST({} AS text)", param(value)) if d.pg else param(value)


def _number_param(d: Dialect, value: float | int) -> Frag:
    if isinstance(value, float) and not math.isfinite(value):
        return raw("NULL") if math.isnan(value) else _inf(d, value > 0)
    if d.pg:
        return fmt("CAST({} AS double precision)", param(value))
    return param(value)


def _inf(d: Dialect, positive: bool) -> Frag:
    if d.pg:
        return raw(
            "CAST('Infinity' AS double precision)"
            if positive
            else "CAST('-Infinity' AS double precision)"
        )
    return raw("9e999" if positive else "-9e999")


def with_frag(value: Value, frag: Frag, **changes: Any) -> Value:
    return replace(value, frag=frag, **changes)
