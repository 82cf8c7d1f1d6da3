"""``strftime`` on PostgreSQL, emulating SQLite's date functions for the common cases.

SQLite's ``strftime(format, time-value, modifier...)`` returns NULL for a value or
modifier it cannot read; so do we. Supported here: time values ``YYYY-MM-DD[ HH:MM[:SS[.fff]]]``
(``T`` allowed, optional ``Z``/``±HH:MM``), ``now`` and Julian day numbers; modifiers
``±N days|hours|minutes|seconds|months|years``, ``start of day|month|year``,
``weekday N``, ``unixepoch`` (right after a number), ``utc`` and ``localtime`` (no-ops:
the server runs in UTC); specifiers ``%d %e %f %F %H %I %j %k %l %m %M %p %P %R %s %S
%T %u %w %Y %%``. Anything else yields NULL (documented difference from the binary).
"""

from __future__ import annotations

import re
from datetime import datetime

from .render import pg_let
from .sql import Frag, fmt, join, param, raw

_TIME_RE = (
    r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]+)?))?)?"
    r"\s*(?:([zZ])|([+-])([0-9]{2}):([0-9]{2}))?\s*$"
)
_NUMBER_RE = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)\s*$"
_CLOCK_RE = r"^\s*([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?\s*$"  # HH:MM[:SS[.fff]] on 2000-01-01
_MODIFIER = re.compile(
    r"^\s*([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)\s+(day|hour|minute|second|month|year)s?\s*$", re.I
)
_TO_CHAR = {
    "d": "DD", "F": "YYYY-MM-DD", "H": "HH24", "I": "HH12", "j": "DDD", "m": "MM", "M": "MI",
    "R": "HH24:MI", "S": "SS", "T": "HH24:MI:SS", "u": "ID", "Y": "YYYY", "f": "SS.MS",
}  # fmt: skip


def pg_strftime(fmt_text: str, time_text: Frag | None, modifiers: list[str], now: datetime) -> Frag:
    """SQL for ``strftime(fmt_text, <time_text>, *modifiers)``; ``time_text`` is text SQL."""
    numeric_input = time_text is not None
    ts = _parse_time(time_text, now)
    for i, modifier in enumerate(modifiers):
        step = _modifier(
            ts, modifier.strip().lower(), first=i == 0 and numeric_input, source=time_text
        )
        if step is None:
            return raw("CAST(NULL AS text)")
        ts = step
    pieces = _format_pieces(fmt_text)
    if pieces is None:
        return raw("CAST(NULL AS text)")
    body = join(pieces, " || ") if pieces else fmt("CAST({} AS text)", param(""))
    return fmt(
        "(SELECT CASE WHEN s.ts IS NULL THEN NULL ELSE {} END FROM (SELECT {} AS ts) AS s)",
        body,
        ts,
    )


def _parse_time(text: Frag | None, now: datetime) -> Frag:
    now_param = fmt("CAST({} AS timestamp)", param(now.strftime("%Y-%m-%d %H:%M:%S.%f")))
    if text is None:
        return now_param
    return pg_let([text], lambda text: _parse_bound(text, now_param))


def _parse_bound(text: Frag, now_param: Frag) -> Frag:
    parsed = fmt(
        "(SELECT CASE WHEN p.m IS NULL OR CAST(p.m[1] AS int) < 1 OR CAST(p.m[2] AS int) NOT BETWEEN 1 AND 12"
        " OR CAST(p.m[3] AS int) NOT BETWEEN 1 AND 31 OR COALESCE(CAST(p.m[4] AS int), 0) > 23"
        " OR COALESCE(CAST(p.m[5] AS int), 0) > 59 OR COALESCE(CAST(p.m[6] AS double precision), 0) >= 60"
        " THEN NULL ELSE make_timestamp(CAST(p.m[1] AS int), CAST(p.m[2] AS int), 1, 0, 0, 0)"
        " + (CAST(p.m[3] AS int) - 1) * interval '1 day'"
        " + COALESCE(CAST(p.m[4] AS int), 0) * interval '1 hour'"
        " + COALESCE(CAST(p.m[5] AS int), 0) * interval '1 minute'"
        " + COALESCE(CAST(p.m[6] AS double precision), 0) * interval '1 second'"
        " - (CASE p.m[8] WHEN '-' THEN -1 ELSE 1 END)"
        " * (COALESCE(CAST(p.m[9] AS int), 0) * 60 + COALESCE(CAST(p.m[10] AS int), 0)) * interval '1 minute'"
        " END FROM (SELECT regexp_match({}, {}) AS m) AS p)",
        text, param(_TIME_RE),
    )  # fmt: skip
    julian = fmt(
        "(CASE WHEN CAST(btrim({}) AS double precision) >= 0 AND CAST(btrim({}) AS double precision) < 5373484.5"
        " THEN timestamp '2000-01-01 12:00:00' + (CAST(btrim({}) AS double precision) - 2451545.0) * interval '1 day' END)",
        text, text, text,
    )  # fmt: skip
    clock = fmt("(timestamp '2000-01-01 00:00:00' + CAST(btrim({}) AS interval))", text)
    return fmt(
        "(CASE WHEN {} IS NULL THEN NULL WHEN lower(btrim({})) = 'now' THEN {}"
        " WHEN length({}) < 40 AND {} ~ {} THEN {} WHEN {} ~ {} THEN {} ELSE {} END)",
        text, text, now_param, text, text, param(_NUMBER_RE), julian, text, param(_CLOCK_RE), clock, parsed,
    )  # fmt: skip


def _modifier(ts: Frag, modifier: str, *, first: bool, source: Frag | None) -> Frag | None:
    if modifier in ("utc", "localtime"):
        return ts
    if modifier.startswith("start of "):
        unit = modifier[len("start of ") :].strip()
        return fmt(f"date_trunc('{unit}', {{}})", ts) if unit in ("day", "month", "year") else None
    if modifier == "unixepoch":
        if not first or source is None:
            return None
        return fmt(
            "(CASE WHEN length({}) < 40 AND {} ~ {} THEN timestamp '1970-01-01 00:00:00'"
            " + CAST(btrim({}) AS double precision) * interval '1 second' END)",
            source, source, param(_NUMBER_RE), source,
        )  # fmt: skip
    if modifier.startswith("weekday "):
        day = modifier[len("weekday ") :].strip()
        if not day.isdigit() or int(day) > 6:
            return None
        return fmt(
            f"({{}} + mod({day} - CAST(extract(dow FROM {{}}) AS int) + 7, 7) * interval '1 day')",
            ts,
            ts,
        )
    match = _MODIFIER.match(modifier)
    if match is None:
        return None
    amount, unit = float(match.group(1)), match.group(2).lower()
    if unit in ("month", "year"):
        if not amount.is_integer():
            return None
        return _add_months(ts, int(amount) * (12 if unit == "year" else 1))
    return fmt(f"({{}} + {{}} * interval '1 {unit}')", ts, param(amount))


def _add_months(ts: Frag, months: int) -> Frag:
    """SQLite adds to the month number and lets an overflowing day roll over (Jan 31 + 1 month = Mar 2)."""
    total = fmt(
        f"(CAST(extract(year FROM {{}}) AS int) * 12 + CAST(extract(month FROM {{}}) AS int) - 1 + {months})",
        ts,
        ts,
    )
    return fmt(
        "(make_timestamp({} / 12, mod({}, 12) + 1, 1, 0, 0, 0) + (CAST(extract(day FROM {}) AS int) - 1) * interval '1 day'"
        " + ({} - date_trunc('day', {})))",
        total, total, ts, ts, ts,
    )  # fmt: skip


def _format_pieces(text: str) -> list[Frag] | None:
    pieces: list[Frag] = []
    literal = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "%":
            literal += ch
            i += 1
            continue
        spec = text[i + 1 : i + 2]
        i += 2
        if spec == "%":
            literal += "%"
            continue
        piece = _specifier(spec)
        if piece is None:
            return None
        if literal:
            pieces.append(fmt("CAST({} AS text)", param(literal)))
            literal = ""
        pieces.append(piece)
    if literal:
        pieces.append(fmt("CAST({} AS text)", param(literal)))
    return pieces


def _specifier(spec: str) -> Frag | None:
    if spec in _TO_CHAR:
        return Frag(f"to_char(s.ts, '{_TO_CHAR[spec]}')")
    return {
        "e": Frag("lpad(to_char(s.ts, 'FMDD'), 2, ' ')"),
        "k": Frag("lpad(to_char(s.ts, 'FMHH24'), 2, ' ')"),
        "l": Frag("lpad(to_char(s.ts, 'FMHH12'), 2, ' ')"),
        "p": Frag("(CASE WHEN extract(hour FROM s.ts) < 12 THEN 'AM' ELSE 'PM' END)"),
        "P": Frag("(CASE WHEN extract(hour FROM s.ts) < 12 THEN 'am' ELSE 'pm' END)"),
        "s": Frag("CAST(CAST(floor(extract(epoch FROM s.ts)) AS bigint) AS text)"),
        "w": Frag("CAST(CAST(extract(dow FROM s.ts) AS int) AS text)"),
    }.get(spec)


# --- SQLite before 3.44 -----------------------------------------------------------------

_OLD_SQLITE_SPELLING = {"F": "%Y-%m-%d", "T": "%H:%M:%S", "R": "%H:%M"}
_OLD_SQLITE_EMULATED = frozenset("ekIlpPu")


def sqlite_strftime(fmt_text: str, args: list[Frag], version: tuple[int, ...]) -> Frag:
    """``strftime`` on SQLite; before 3.44 the newer specifiers are spelled with older ones."""
    if version >= (3, 44):
        return fmt("strftime({})", join([param(fmt_text), *args], ", "))
    runs: list[str | Frag] = [""]
    i = 0
    while i < len(fmt_text):
        spec = fmt_text[i + 1 : i + 2] if fmt_text[i] == "%" else ""
        if spec in _OLD_SQLITE_SPELLING:
            runs[-1] = str(runs[-1]) + _OLD_SQLITE_SPELLING[spec]
        elif spec in _OLD_SQLITE_EMULATED:
            runs += [_old_sqlite_specifier(spec, args), ""]
        else:
            runs[-1] = str(runs[-1]) + fmt_text[i : i + 2 if spec else i + 1]
        i += 2 if spec else 1

    def call(text: str) -> Frag:
        return fmt("strftime({})", join([param(text), *args], ", "))

    pieces = [call(run) if isinstance(run, str) else run for run in runs if run != ""]
    if len(pieces) == 1 and isinstance(runs[0], str) and len(runs) == 1:
        return pieces[0]
    body = join(pieces, " || ") if pieces else call("")
    return fmt("(CASE WHEN {} IS NULL THEN NULL ELSE {} END)", call(""), body)


def _old_sqlite_specifier(spec: str, args: list[Frag]) -> Frag:
    def number(code: str) -> Frag:
        return fmt("CAST(strftime({}) AS INTEGER)", join([param(code), *args], ", "))

    hour = number("%H")
    twelve = fmt("(({} + 11) - (({} + 11) / 12) * 12 + 1)", hour, hour)
    if spec == "e":
        return fmt("printf({}, {})", param("%2d"), number("%d"))
    if spec == "k":
        return fmt("printf({}, {})", param("%2d"), hour)
    if spec in ("I", "l"):
        return fmt("printf({}, {})", param("%02d" if spec == "I" else "%2d"), twelve)
    if spec in ("p", "P"):
        am, pm = ("AM", "PM") if spec == "p" else ("am", "pm")
        return fmt(f"(CASE WHEN {{}} < 12 THEN '{am}' ELSE '{pm}' END)", hour)
    weekday = fmt("strftime({})", join([param("%w"), *args], ", "))
    return fmt("(CASE {} WHEN '0' THEN '7' ELSE {} END)", weekday, weekday)
