"""SQL safety and robustness: user text only ever travels as bound parameters, values
round-trip literally, and any valid expression yields SQL the database accepts."""

from __future__ import annotations

import re
import sqlite3

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baas.collections.expr import ExpressionError, RequestInfo, compile_filter, compile_sort
from baas.collections.expr.compare import wrap_like
from baas.collections.expr.values import go_string, sqlite_numeric, sqlite_real_text

from . import expr_dataset as ds
from .conftest import outcome

pytestmark = pytest.mark.django_db

I5_TITLE = next(r["title"] for r in ds.RECORDS["xp_items"] if r["id"] == ds.I5)
NASTY = [
    "'; DROP TABLE x; --",
    '"; DROP TABLE x; --',
    "\\'; SELECT 1; --",
    "%s %(x)s {} {0} $1 ? :x",
    "%",
    "100%",
    "\u202e\U0001f600",
    I5_TITLE,
    "' OR 1=1 --",
    ") OR (1=1",
    "\\",
]


# --- SQLite's own conversions, mirrored in Python -----------------------------------------

_lite = sqlite3.connect(":memory:")
_lite.execute("CREATE TABLE n (v NUMERIC)")


FIFTEEN_DIGITS = st.builds(
    lambda digits, exponent: float(f"{digits}e{exponent}"),
    st.integers(-(10**15) + 1, 10**15 - 1),
    st.integers(-330, 300),
)


@settings(max_examples=300)
@given(
    st.one_of(
        FIFTEEN_DIGITS, st.sampled_from([float("inf"), float("-inf"), -0.0, 2.0, 1e20, 0.1 + 0.2])
    )
)
def test_real_text_is_sqlites(value):
    assert (
        sqlite_real_text(value) == _lite.execute("SELECT CAST(? AS TEXT)", (value,)).fetchone()[0]
    )


@settings(max_examples=300)
@given(st.text(alphabet=" \t\n+-.eE0123456789x_a", max_size=12))
def test_numeric_affinity_is_sqlites(text):
    _lite.execute("DELETE FROM n")
    _lite.execute("INSERT INTO n VALUES (?)", (text,))
    kind, stored = _lite.execute("SELECT typeof(v), v FROM n").fetchone()
    number = sqlite_numeric(text)
    if kind == "text":
        assert number is None
    else:
        assert number == pytest.approx(stored)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2"),
        (2.5, "2.5"),
        (1e21, "1000000000000000000000"),
        (-0.0, "-0"),
        (True, "true"),
        (None, ""),
        (7, "7"),
    ],
)
def test_go_string(value, text):
    assert go_string(value) == text


@pytest.mark.parametrize(
    ("pattern", "wrapped"),
    [
        ("app", "%app%"),
        ("_pple", "%\\_pple%"),
        ("a\\b", "%a\\\\b%"),
        ("50\\%", "%50\\%%"),
        ("b%", "b%"),
        ("%_x", "%_x"),
        ("", "%%"),
        ("\\_", "%\\_%"),
    ],
)
def test_like_wrapping(pattern, wrapped):
    assert wrap_like(pattern) == wrapped


# --- injection --------------------------------------------------------------------------


@pytest.mark.parametrize("value", NASTY)
def test_values_never_reach_the_sql_text(expr_data, value):
    items = expr_data["xp_items"]
    request = RequestInfo(
        is_superuser=True,
        query={"q": value},
        headers={"x_h": value},
        body={"title": value, "multi": [value], "nested": {"k": value}},
        auth={"id": value, "email": value},
        auth_collection=expr_data["xp_users"],
    )
    filters = [
        "title = {v}",
        "title != {v}",
        "title ~ {v}",
        "title !~ {v}",
        "title > {v}",
        "j.x = {v}",
        "n = {v}",
        "rels.name ?= {v}",
        "rels.name = {v}",
        "multi:each = {v}",
        "strftime({v}, d) = {v}",
        "strftime('%Y', {v}, {v}) = {v}",
        "@request.query.q = title",
        "@request.headers.x_h ~ title",
        "@request.body.title = {v}",
        "@request.body.multi:each ?= {v}",
        "@request.body.nested.k:lower = {v}",
        "@request.auth.id = {v}",
        "@request.auth.name = {v}",
        "@request.body.title:changed = true",
    ]
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    for template in filters:
        sql, params = compile_filter(items, template.format(v=quoted), request)
        if len(value) > 2:
            assert value not in sql
        outcome(items, template.format(v=quoted), request)  # executes
    with connection.cursor() as cursor:  # the tables are all still there
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name('c_' + ds.ITEMS)}")
        assert cursor.fetchone()[0] == len(ds.RECORDS["xp_items"])


@pytest.mark.parametrize("value", NASTY)
def test_values_round_trip_literally(expr_data, value):
    items = expr_data["xp_items"]
    request = RequestInfo(is_superuser=True, query={"q": value}, body={"title": value})
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    expected = "I5" if value == I5_TITLE else ""
    assert outcome(items, f"title = {quoted}", request) == expected
    assert outcome(items, "title = @request.query.q", request) == expected
    assert outcome(items, "@request.body.title = title", request) == expected
    assert (
        outcome(items, f"{quoted} = @request.query.q && @request.body.title = {quoted}", request)
        == "I1 I2 I3 I4 I5 I6 I7 I8"
    )


PHYSICAL = re.compile(
    r"^(C|t|id|v|x|record_id|target_id|position|value|ord|_rowid_|__e\w+|[cfr]_\w+)$"
)


def test_nul_characters(expr_data):
    """SQLite compares them; PostgreSQL text cannot hold NUL, so the filter is refused (400)."""
    expected = 400 if connection.vendor == "postgresql" else ""
    assert outcome(expr_data["xp_items"], 'title = "a\x00b"') == expected


def test_identifiers_are_physical_names(expr_data):
    """Every quoted name in the SQL is a physical name (c_/f_/r_ + ids) or our alias."""
    request = RequestInfo(is_superuser=True)
    text = 'owner.name = "x" && xp_comments_via_items.msg ?= "y" && @collection.xp_tags:t.name ?= rels.name'
    sql, _ = compile_filter(expr_data["xp_items"], text, request)
    pieces, _ = compile_sort(expr_data["xp_items"], "-owner.name,title,rels.name", request)
    for chunk in [sql, *pieces]:
        names = re.findall(r'"([^"]*)"', chunk)
        assert names and all(PHYSICAL.match(name) for name in names), [
            n for n in names if not PHYSICAL.match(n)
        ]


# --- any valid expression runs -------------------------------------------------------------

IDENTIFIERS = [
    "id",
    "title",
    "n",
    "b",
    "d",
    "sel",
    "multi",
    "j",
    "loc",
    "owner",
    "rels",
    "tag",
    "contact",
    "docs",
    "secret",
    "title:lower",
    "multi:each",
    "multi:length",
    "rels:each",
    "rels:length",
    "sel:each",
    "sel:length",
    "owner:length",
    "j.x",
    "j.arr.0",
    "j.nested.k",
    "j.missing.deep",
    "loc.lon",
    "loc.lat",
    "owner.name",
    "owner.age",
    "owner.id",
    "owner.name:lower",
    "rels.name",
    "rels.weight",
    "rels.id",
    "tag.name",
    "tag.weight",
    "xp_comments_via_item.msg",
    "xp_comments_via_items.author.name",
    "owner.xp_profiles_via_user.bio",
    "@collection.xp_tags.name",
    "@collection.xp_tags:a.weight",
    "@request.auth.id",
    "@request.auth.name",
    "@request.auth.age",
    "@request.body.title",
    "@request.body.n",
    "@request.body.multi:each",
    "@request.body.multi:length",
    "@request.body.rels.name",
    "@request.body.title:isset",
    "@request.body.n:changed",
    "@request.query.q",
    "@request.headers.h",
    "@request.method",
    "@request.context",
]
LITERALS = [
    "''",
    "'x'",
    "'Apple'",
    "'2'",
    "'2.5'",
    "' 3 '",
    "'1e3'",
    "'2024-06-01'",
    "'%'",
    "'_a%'",
    "'\\\\'",
    "'[]'",
    "1",
    "-2.5",
    "0",
    "100",
    "true",
    "false",
    "null",
    "@now",
    "@year",
    "@todayStart",
    "@weekday",
]
FUNCTIONS = [
    "geoDistance(loc.lon, loc.lat, 10, 20)",
    "geoDistance(n, rels.weight, 1, j.x)",
    "strftime('%Y-%m', d)",
    "strftime('%s', d, '+1 month', 'start of day')",
    "strftime('%j %w', title)",
    "strftime('%Y', rels.name)",
]
OPERAND = st.sampled_from(IDENTIFIERS + LITERALS + FUNCTIONS)
OPS = st.sampled_from(
    ["=", "!=", "~", "!~", "<", "<=", ">", ">=", "?=", "?!=", "?~", "?!~", "?<", "?<=", "?>", "?>="]
)
COMPARISON = st.builds(lambda left, op, right: f"{left} {op} {right}", OPERAND, OPS, OPERAND)
EXPRESSION = st.recursive(
    COMPARISON,
    lambda inner: st.one_of(
        st.builds(lambda a, j, b: f"{a} {j} {b}", inner, st.sampled_from(["&&", "||"]), inner),
        inner.map(lambda e: f"({e})"),
    ),
    max_leaves=4,
)
REQUEST = RequestInfo(
    is_superuser=True,
    query={"q": "2"},
    headers={"h": "Apple"},
    body={"title": "Apple", "n": 3, "multi": ["a", "b"], "rels": [ds.T1, ds.T2]},
    auth={"id": ds.U1, "name": "Alice", "age": 30},
)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(EXPRESSION)
def test_random_expressions_execute(expr_data, text):
    request = RequestInfo(**{**REQUEST.__dict__, "auth_collection": expr_data["xp_users"]})
    result = outcome(expr_data["xp_items"], text, request)
    assert result == 400 or isinstance(result, str)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [i for i in IDENTIFIERS if not i.startswith("@request")] + ["@random", "@rowid"]
            ),
            st.booleans(),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_random_sorts_execute(expr_data, keys):
    sort = ",".join(("-" if desc else "") + name for name, desc in keys)
    assert isinstance(outcome(expr_data["xp_items"], "", sort=sort), str | int)


def test_expression_errors_only(expr_data):
    for text in [
        "nope = 1",
        "title.x = 1",
        "geoDistance(1) = 1",
        "strftime(1) = 1",
        "strftime('%Y', f()) = 1",
    ]:
        with pytest.raises(ExpressionError):
            compile_filter(expr_data["xp_items"], text, RequestInfo(is_superuser=True))


def test_python_math_functions_match_sqlites():
    """The fallback functions behave like SQLite's built-in ones (text, NULL, domain)."""
    from baas.collections.expr import sqlite_functions

    plain = sqlite3.connect(":memory:")
    fallback = sqlite3.connect(":memory:")
    sqlite_functions.register(fallback)
    for query in [
        "SELECT sin(1)", "SELECT cos('2')", "SELECT acos(1.0000000000000002)", "SELECT radians('x')",
        "SELECT sin(NULL)", "SELECT acos(' 0.5 ')", "SELECT radians(180)",
    ]:  # fmt: skip
        assert fallback.execute(query).fetchone() == plain.execute(query).fetchone(), query
    assert not sqlite_functions.missing_math(fallback)


PIECES = [
    "title",
    "n",
    "rels",
    "rels.name",
    "owner.age",
    "j.x",
    "multi:each",
    "x:lower",
    "nope",
    "rels:length",
    "@request.auth.id",
    "@request.body.title:changed",
    "@request.body.multi:each",
    "@request.query.q:lower",
    "@collection.xp_tags:a.name",
    "@collection.nope.x",
    "xp_comments_via_item.msg",
    "xp_x_via_y.z",
    "geoDistance(",
    "strftime(",
    "f(",
    ")",
    "(",
    ",",
    "'a'",
    "'%'",
    "1",
    "-1.5",
    "true",
    "null",
    "@now",
    " = ",
    " != ",
    " ~ ",
    " ?!~ ",
    " > ",
    " ?<= ",
    " && ",
    " || ",
    " ",
]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(PIECES), min_size=3, max_size=14).map("".join))
def test_anything_that_parses_compiles_or_fails_cleanly(expr_data, text):
    request = RequestInfo(**{**REQUEST.__dict__, "auth_collection": expr_data["xp_users"]})
    result = outcome(expr_data["xp_items"], text, request)
    assert result in (400, 403) or isinstance(result, str)
