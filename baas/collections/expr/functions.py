"""Datetime macros and the functions ``geoDistance`` and ``strftime`` (wire-api §3.5)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection

from . import ast
from .compare import Resolved
from .errors import ExpressionError
from .render import pg_let, text_of
from .sql import Frag, fmt, param
from .timefmt import pg_strftime, sqlite_strftime
from .values import (
    NF,
    PG_NUMERIC_TEXT,
    Cls,
    Dialect,
    Value,
    number_literal,
    sqlite_numeric,
    text_literal,
)

if TYPE_CHECKING:
    from .resolver import Scope

MAX_STRFTIME_ARGS = 10


def wire_datetime(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS.sssZ`` (wire-api §0)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def macro_value(d: Dialect, name: str, now: datetime) -> Value:
    value = _macro(name, now)
    return number_literal(d, value) if isinstance(value, int) else text_literal(d, value)


def _macro(name: str, now: datetime) -> int | str:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = now.replace(hour=23, minute=59, second=59, microsecond=999999)
    numbers = {
        "@second": now.second,
        "@minute": now.minute,
        "@hour": now.hour,
        "@day": now.day,
        "@month": now.month,
        "@weekday": (now.weekday() + 1) % 7,  # Sunday = 0, as in Go
        "@year": now.year,
    }
    if name in numbers:
        return numbers[name]
    last_day = calendar.monthrange(now.year, now.month)[1]
    moments = {
        "@now": now,
        "@yesterday": now - timedelta(days=1),
        "@tomorrow": now + timedelta(days=1),
        "@todayStart": midnight,
        "@todayEnd": day_end,
        "@monthStart": midnight.replace(day=1),
        "@monthEnd": day_end.replace(day=last_day),
        "@yearStart": midnight.replace(month=1, day=1),
        "@yearEnd": day_end.replace(month=12, day=31),
    }
    return wire_datetime(moments[name])


def call(scope: Scope, node: ast.Function) -> Resolved:
    if node.name == "geoDistance":
        return _geo_distance(scope, node.args)
    if node.name == "strftime":
        return _strftime(scope, node.args)
    raise ExpressionError(f"unknown function {node.name!r}")


# --- geoDistance ------------------------------------------------------------------------

_IDENTIFIER_ARGS = (ast.Field, ast.RequestRef, ast.CollectionRef, ast.Boolean, ast.Null, ast.Macro)


def _geo_distance(scope: Scope, args: tuple[ast.Operand, ...]) -> Resolved:
    """Haversine distance in km; any multi-value argument matches with any of its rows."""
    if len(args) != 4:
        raise ExpressionError("geoDistance expects 4 arguments")
    values: list[Value] = []
    for arg in args:
        if not isinstance(arg, (*_IDENTIFIER_ARGS, ast.Number)):
            raise ExpressionError("geoDistance arguments must be identifiers or numbers")
        values.append(scope.operand(arg).value)
    d = scope.ctx.d
    params = tuple(p for v in values for p in v.pb_params)

    def rebuild(new_params: tuple[Any, ...]) -> Frag:
        return _haversine(d, _substituted(d, values, new_params))

    return Resolved(
        Value(_haversine(d, values), Cls.NUM, nf=NF.DISABLED, pb_params=params, rebuild=rebuild)
    )


def _haversine(d: Dialect, values: list[Value]) -> Frag:
    lon_a, lat_a, lon_b, lat_b = (fmt("radians({})", _as_number(d, v)) for v in values)
    cosine = fmt(
        "(cos({}) * cos({}) * cos({} - {}) + sin({}) * sin({}))",
        lat_a,
        lat_b,
        lon_b,
        lon_a,
        lat_a,
        lat_b,
    )
    if d.pg:  # SQLite's acos() gives NULL outside [-1, 1]; PostgreSQL's raises
        return fmt(
            "(6371 * (CASE WHEN {} > 1 OR {} < -1 THEN NULL ELSE acos({}) END))",
            cosine,
            cosine,
            cosine,
        )
    return fmt("(6371 * acos({}))", cosine)


def _substituted(d: Dialect, values: list[Value], params: tuple[Any, ...]) -> list[Value]:
    """The arguments with their bound values replaced (LIKE wraps them in %...%)."""
    out, rest = [], list(params)
    for value in values:
        taken, rest = rest[: len(value.pb_params)], rest[len(value.pb_params) :]
        if value.is_literal and taken:
            out.append(text_literal(d, str(taken[0])))
        elif value.rebuild is not None and taken:
            out.append(Value(value.rebuild(tuple(taken)), Cls.TEXT))
        else:
            out.append(value)
    return out


def _as_number(d: Dialect, value: Value) -> Frag:
    """SQLite's math functions read a numeric-looking text as a number, anything else as NULL."""
    if value.is_literal:
        if isinstance(value.literal, str):
            number = sqlite_numeric(value.literal)
            return Frag("NULL") if number is None else number_literal(d, number).frag
        return value.frag
    if not d.pg or value.cls is Cls.NUM:
        return value.frag
    return pg_let(
        [text_of(d, value)],
        lambda text: fmt(
            "(CASE WHEN length({}) < 200 AND {} ~ {} THEN CAST({} AS double precision) END)",
            text, text, param(PG_NUMERIC_TEXT), text,
        ),
    )  # fmt: skip


# --- strftime --------------------------------------------------------------------------


def _strftime(scope: Scope, args: tuple[ast.Operand, ...]) -> Resolved:
    if not args or len(args) > MAX_STRFTIME_ARGS:
        raise ExpressionError("strftime expects 1 to 10 arguments")
    fmt_arg, *rest = args
    if not isinstance(fmt_arg, ast.Text):
        raise ExpressionError("strftime expects a format string first")
    if rest and isinstance(rest[0], ast.Function):
        raise ExpressionError("invalid strftime time value")
    modifiers = rest[1:]
    if not all(isinstance(m, ast.Text) for m in modifiers):
        raise ExpressionError("strftime modifiers must be strings")
    time = scope.operand(rest[0]) if rest else None
    mods = [m.value for m in modifiers if isinstance(m, ast.Text)]
    scope.ctx.volatile = True  # reads the clock
    build = _StrftimeBuilder(
        scope.ctx.d, scope.ctx.now, fmt_arg.value, time.value if time else None, mods
    )
    value = build.value()
    multi = None
    if time is not None and time.multi is not None:
        chain = _StrftimeBuilder(
            scope.ctx.d, scope.ctx.now, fmt_arg.value, time.multi.value, mods
        ).value()
        multi = time.multi.with_value(chain)
    return Resolved(value, multi)


class _StrftimeBuilder:
    def __init__(
        self, d: Dialect, now: datetime, fmt_text: str, time: Value | None, mods: list[str]
    ) -> None:
        self.d, self.now, self.fmt_text, self.time, self.mods = d, now, fmt_text, time, mods

    def value(self) -> Value:
        params: tuple[Any, ...] = (
            self.fmt_text,
            *(self.time.pb_params if self.time else ()),
            *self.mods,
        )
        return Value(
            self.render(params), Cls.TEXT, nf=NF.ENFORCED, pb_params=params, rebuild=self.render
        )

    def render(self, params: tuple[Any, ...]) -> Frag:
        """The SQL for the given bound values (LIKE re-renders it with %-wrapped ones)."""
        fmt_text = str(params[0])
        time_params = len(self.time.pb_params) if self.time else 0
        time = self.time
        if time is not None and time_params == 1 and time.is_literal:
            time = text_literal(self.d, str(params[1])) if isinstance(params[1], str) else time
        mods = [str(m) for m in params[1 + time_params :]]
        if self.d.pg:
            return pg_strftime(fmt_text, text_of(self.d, time) if time else None, mods, self.now)
        args = [time.frag] if time is not None else []
        args.extend(param(m) for m in mods)
        version = getattr(getattr(connection, "Database", None), "sqlite_version_info", (3, 44))
        return sqlite_strftime(fmt_text, args, version)
