"""The grammar (wire-api §3.1, §2.1): table-style cases plus fuzzing.

Valid and invalid inputs below were checked against the 0.40.6 binary (a syntax
error there is a 400). The parser never raises anything but ``ExpressionError``.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baas.collections.expr import ExpressionError, parse, parse_sort
from baas.collections.expr import ast as A
from baas.collections.expr.parser import MAX_COMPARISONS, MAX_DEPTH, MAX_FILTER_LENGTH

F = A.Field
EQ = A.Op.EQ

VALID = [
    (
        "n=1&&b=true",
        A.And(
            (
                A.Comparison(F(("n",)), EQ, A.Number("1", 1.0)),
                A.Comparison(F(("b",)), EQ, A.Boolean(True)),
            )
        ),
    ),
    ("(n = 1)", A.Comparison(F(("n",)), EQ, A.Number("1", 1.0))),
    ("((n=1))", A.Comparison(F(("n",)), EQ, A.Number("1", 1.0))),
    ("n = -1", A.Comparison(F(("n",)), EQ, A.Number("-1", -1.0))),
    ("n = 007", A.Comparison(F(("n",)), EQ, A.Number("007", 7.0))),
    ("n = 1.25", A.Comparison(F(("n",)), EQ, A.Number("1.25", 1.25))),
    ("n=1 // trailing comment", A.Comparison(F(("n",)), EQ, A.Number("1", 1.0))),
    ("n\t=\t1", A.Comparison(F(("n",)), EQ, A.Number("1", 1.0))),
    ("n\n=\n1", A.Comparison(F(("n",)), EQ, A.Number("1", 1.0))),
    (
        "n = 1 // c \r\n && b = true",
        A.And(
            (
                A.Comparison(F(("n",)), EQ, A.Number("1", 1.0)),
                A.Comparison(F(("b",)), EQ, A.Boolean(True)),
            )
        ),
    ),
    ("TRUE = True", A.Comparison(A.Boolean(True), EQ, A.Boolean(True))),
    ("title = NULL", A.Comparison(F(("title",)), EQ, A.Null())),
    ("false != null", A.Comparison(A.Boolean(False), A.Op.NEQ, A.Null())),
    ("\"a\" = 'b'", A.Comparison(A.Text("a"), EQ, A.Text("b"))),
    ('a = "x\\"y"', A.Comparison(F(("a",)), EQ, A.Text('x"y'))),
    ("a = 'x\\'y'", A.Comparison(F(("a",)), EQ, A.Text("x'y"))),
    ('a = "x\\\'y"', A.Comparison(F(("a",)), EQ, A.Text("x'y"))),
    ('a = "\\\\"', A.Comparison(F(("a",)), EQ, A.Text("\\"))),
    ('a = "\\n\\t\\r"', A.Comparison(F(("a",)), EQ, A.Text("\n\t\r"))),
    ('a = "\\a\\%\\u0041"', A.Comparison(F(("a",)), EQ, A.Text("\\a\\%\\u0041"))),
    ('a = "line\nbreak"', A.Comparison(F(("a",)), EQ, A.Text("line\nbreak"))),
    (
        "author.name:lower ?~ 'x'",
        A.Comparison(F(("author", "name"), "lower"), A.Op.ANY_LIKE, A.Text("x")),
    ),
    ("tags:each ?!= 'x'", A.Comparison(F(("tags",), "each"), A.Op.ANY_NEQ, A.Text("x"))),
    ("tags:length >= 2", A.Comparison(F(("tags",), "length"), A.Op.GTE, A.Number("2", 2.0))),
    ("j.0.x = 1", A.Comparison(F(("j", "0", "x")), EQ, A.Number("1", 1.0))),
    ("@request.auth.id != ''", A.Comparison(A.RequestRef("auth", ("id",)), A.Op.NEQ, A.Text(""))),
    (
        "@request.body.role:isset = false",
        A.Comparison(A.RequestRef("body", ("role",), "isset"), EQ, A.Boolean(False)),
    ),
    ("@request.method = 'GET'", A.Comparison(A.RequestRef("method"), EQ, A.Text("GET"))),
    ("@request.context = 'expand'", A.Comparison(A.RequestRef("context"), EQ, A.Text("expand"))),
    (
        "@request.headers.x_token = 'a'",
        A.Comparison(A.RequestRef("headers", ("x_token",)), EQ, A.Text("a")),
    ),
    (
        "@collection.items:o.name ?= 'A'",
        A.Comparison(A.CollectionRef("items", "o", ("name",)), A.Op.ANY_EQ, A.Text("A")),
    ),
    (
        "@collection.items.owner.name = x",
        A.Comparison(A.CollectionRef("items", None, ("owner", "name")), EQ, F(("x",))),
    ),
    ("@now > @yesterday", A.Comparison(A.Macro("@now"), A.Op.GT, A.Macro("@yesterday"))),
    (
        "geoDistance(a.lon, a.lat, 1, -2.5,) < 3",
        A.Comparison(
            A.Function(
                "geoDistance",
                (F(("a", "lon")), F(("a", "lat")), A.Number("1", 1.0), A.Number("-2.5", -2.5)),
            ),
            A.Op.LT,
            A.Number("3", 3.0),
        ),
    ),
    (
        "strftime('%Y', d, '+1 day' // c\n) = '2024'",
        A.Comparison(
            A.Function("strftime", (A.Text("%Y"), F(("d",)), A.Text("+1 day"))), EQ, A.Text("2024")
        ),
    ),
    ("f() = 1", A.Comparison(A.Function("f", ()), EQ, A.Number("1", 1.0))),
    # && binds tighter than ||; a group right after an item joins with the last join seen
    (
        "a=1 || b=2 && c=3",
        A.Or(
            (
                A.Comparison(F(("a",)), EQ, A.Number("1", 1.0)),
                A.And(
                    (
                        A.Comparison(F(("b",)), EQ, A.Number("2", 2.0)),
                        A.Comparison(F(("c",)), EQ, A.Number("3", 3.0)),
                    )
                ),
            )
        ),
    ),
    (
        "(a=1 || b=2) && c=3",
        A.And(
            (
                A.Or(
                    (
                        A.Comparison(F(("a",)), EQ, A.Number("1", 1.0)),
                        A.Comparison(F(("b",)), EQ, A.Number("2", 2.0)),
                    )
                ),
                A.Comparison(F(("c",)), EQ, A.Number("3", 3.0)),
            )
        ),
    ),
    (
        "(a=1)(b=2)",
        A.And(
            (
                A.Comparison(F(("a",)), EQ, A.Number("1", 1.0)),
                A.Comparison(F(("b",)), EQ, A.Number("2", 2.0)),
            )
        ),
    ),
    (
        "a=1 || b=2 (c=3)",
        A.Or(
            (
                A.Comparison(F(("a",)), EQ, A.Number("1", 1.0)),
                A.Comparison(F(("b",)), EQ, A.Number("2", 2.0)),
                A.Comparison(F(("c",)), EQ, A.Number("3", 3.0)),
            )
        ),
    ),
]

OPERATORS = [
    "=",
    "!=",
    "~",
    "!~",
    "<",
    "<=",
    ">",
    ">=",
    "?=",
    "?!=",
    "?~",
    "?!~",
    "?<",
    "?<=",
    "?>",
    "?>=",
]

INVALID = [
    "",
    " ",
    "// only a comment",
    "n = 1 and b = true",
    "n = 1 or b = true",
    "n = 1 &&",
    "|| n = 1",
    "n = 1 || ",
    "n = 1 & b = true",
    "n = 1 ||| b = true",
    "()",
    "() && n=1",
    "n=1 && ()",
    "(n = 1",
    "n = 1)",
    "(n = 1))",
    "n = - 1",
    "n=--1",
    "n = 1.",
    "n = .5",
    "n = +1",
    "n = 1.5.2",
    "n = 1e3",
    "n = 1_000",
    "n = ١",
    "títle = 1",
    'title = "unterminated',
    '"\\"',
    '"\\\\\\"',
    "n = 1 /",
    "n = 1 /* c */",
    "n==1",
    "n =! 1",
    "n !? 1",
    "n <> 1",
    "n => 1",
    "n = 1\r\n",
    "n\x0b= 1",
    "n\x0c= 1",
    "n\xa0= 1",
    "n",
    "n =",
    "= 1",
    "1 2 = 3",
    "n = 1 2",
    "geoDistance (1,2,3,4) > 0",
    "geoDistance(,1,2,3,4) > 0",
    "f(1 2) = 1",
    "f((1)) = 1",
    "f(1,,2) = 1",
    "f(a(b(c(d())))) = 1",
    "title:upper = 'x'",
    "tags:each:lower = 'a'",
    "a:each.b = 1",
    "#x = 1",
    "@foo = 1",
    "a..b = 1",
    "n. = 1",
    "n: = 1",
    "@ = 1",
    "_ = 1",
    "@request = 1",
    "@request.foo = 1",
    "@request.auth = 1",
    "@request.method.x = 1",
    "@request.method:lower = 'get'",
    "@collection.tags = 1",
    "@collection.tags:.name ?= 'x'",
    "@collection.tags:a:b.name ?= 'x'",
    "n = 1,",
    "a = b = c",
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=t) for t, e in VALID])
def test_valid(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("op", OPERATORS)
def test_every_operator_with_and_without_spaces(op):
    expected = A.Comparison(F(("n",)), A.Op(op), A.Number("1", 1.0))
    assert parse(f"n {op} 1") == expected
    assert parse(f"n{op}1") == expected
    assert A.Op(op).is_any == op.startswith("?")
    assert A.Op(op).base.value == op.removeprefix("?")


@pytest.mark.parametrize("macro", sorted(A.MACROS))
def test_every_macro(macro):
    assert parse(f"{macro} != ''") == A.Comparison(A.Macro(macro), A.Op.NEQ, A.Text(""))


@pytest.mark.parametrize("modifier", sorted(A.MODIFIERS))
def test_every_modifier(modifier):
    assert parse(f"tags:{modifier} = 1").left == F(("tags",), modifier)


@pytest.mark.parametrize("text", INVALID)
def test_invalid(text):
    with pytest.raises(ExpressionError):
        parse(text)


def test_limits():
    parse("a = 1" + " && a = 1" * (MAX_COMPARISONS - 1))
    with pytest.raises(ExpressionError):
        parse("a = 1" + " && a = 1" * MAX_COMPARISONS)
    parse("(" * MAX_DEPTH + "a = 1" + ")" * MAX_DEPTH)
    with pytest.raises(ExpressionError):
        parse("(" * (MAX_DEPTH + 1) + "a = 1" + ")" * (MAX_DEPTH + 1))
    long_text = "a = '" + "x" * (MAX_FILTER_LENGTH - 6) + "'"
    assert len(long_text) == MAX_FILTER_LENGTH
    parse(long_text)
    with pytest.raises(ExpressionError):
        parse(long_text + " ")
    parse(long_text + " ", max_length=MAX_FILTER_LENGTH + 1)


def test_parsed_trees_are_cached():
    assert parse("cached = 1") is parse("cached = 1")


SORTS = [
    ("-n,name", [A.SortItem("n", True), A.SortItem("name")]),
    (" n , +title:lower ", [A.SortItem("n"), A.SortItem("title:lower")]),
    ("@random,-@rowid", [A.SortItem("@random"), A.SortItem("@rowid", True)]),
    ("author.name,j.x.0", [A.SortItem("author.name"), A.SortItem("j.x.0")]),
]


@pytest.mark.parametrize(("text", "expected"), SORTS)
def test_sort(text, expected):
    assert parse_sort(text) == expected


@pytest.mark.parametrize(
    "text", ["n,", ",", "-", "+", "", "--n", "n n", "@now", "a,b,c,d,e,f,g,h,i", "x" * 256, "a..b"]
)
def test_invalid_sort(text):
    with pytest.raises(ExpressionError):
        parse_sort(text)


# --- fuzzing ------------------------------------------------------------------------

GRAMMAR_PIECES = [
    "a",
    "b.c",
    "d:each",
    "e:lower",
    "@request.auth.id",
    "@collection.x:y.z",
    "@now",
    "true",
    "null",
    "1",
    "-2.5",
    "'s'",
    '"t\\"u"',
    "geoDistance(",
    "strftime(",
    ",",
    "(",
    ")",
    "&&",
    "||",
    " ",
    "\n",
    "// c\n",
    *OPERATORS,
    "'",
    '"',
    "\\",
    "-",
    ".",
    ":",
    "@",
    "#",
    "!",
    "?",
    "~",
    "&",
    "|",
    "/",
]


def _check(text: str) -> None:
    try:
        result = parse(text, max_length=10_000)
    except ExpressionError:
        return
    assert isinstance(result, A.Comparison | A.And | A.Or)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_fuzz_arbitrary_text(text):
    _check(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(GRAMMAR_PIECES), max_size=40).map("".join))
def test_fuzz_grammar_soup(text):
    _check(text)


def _expression(depth: int) -> st.SearchStrategy[str]:
    operand = st.sampled_from(
        [
            "a",
            "b.c:lower",
            "@request.auth.id",
            "1",
            "-0.5",
            "'x'",
            '"y\\""',
            "null",
            "@now",
            "geoDistance(a, b, 1, 2)",
            "strftime('%Y', d)",
        ]
    )
    comparison = st.builds(
        lambda left, op, right: f"{left} {op} {right}", operand, st.sampled_from(OPERATORS), operand
    )
    if depth == 0:
        return comparison
    inner = _expression(depth - 1)
    return st.one_of(
        comparison,
        st.builds(lambda x, j, y: f"{x} {j} {y}", inner, st.sampled_from(["&&", "||"]), inner),
        inner.map(lambda x: f"({x})"),
    )


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = draw(_expression(3))
    for _ in range(draw(st.integers(0, 3))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "swap"]))
        char = draw(st.sampled_from(list("()'\"\\&|=!?<>~ :.@,/\n-0a")))
        if action == "insert":
            text = text[:pos] + char + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + 1 :]
        elif pos + 1 < len(text):
            text = text[:pos] + text[pos + 1] + text[pos] + text[pos + 2 :]
    return text


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_expression(3))
def test_fuzz_generated_expressions_parse(text):
    assert isinstance(parse(text, max_length=10_000), A.Comparison | A.And | A.Or)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_fuzz_near_valid_expressions(text):
    _check(text)
