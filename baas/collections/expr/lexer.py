"""Tokens of the filter/rule language, scanned the way PocketBase's ``fexpr`` does.

Only space, tab and newline are whitespace (a ``\\r`` outside a comment is an
error on the binary too). Strings end at the first unescaped matching quote; the
escapes are those the 0.40 binary reads (checked on 0.40.6), others keep their backslash.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from .errors import ExpressionError


class Kind(Enum):
    IDENT = "identifier"
    NUMBER = "number"
    TEXT = "text"
    SIGN = "sign"
    JOIN = "join"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    EOF = "eof"


@dataclass(frozen=True)
class Token:
    kind: Kind
    value: str
    start: int
    end: int


WHITESPACE = frozenset(" \t\n")
SIGN_RUNES = frozenset("=?!><~")
JOIN_RUNES = frozenset("&|")
SIGNS = frozenset(
    {"=", "!=", "~", "!~", "<", "<=", ">", ">=", "?=", "?!=", "?~", "?!~", "?<", "?<=", "?>", "?>="}
)
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
IDENT_START = _LETTERS | frozenset("@_#")
IDENT_BODY = _LETTERS | _DIGITS | frozenset("_.:")


def tokenize(text: str) -> Iterator[Token]:
    """Yield the tokens of ``text`` (whitespace and ``//`` comments dropped), then EOF."""
    pos, size = 0, len(text)
    while pos < size:
        ch = text[pos]
        if ch in WHITESPACE:
            pos += 1
        elif ch == "/":
            pos = _skip_comment(text, pos)
        elif ch in "(),":
            yield Token(Kind(ch), ch, pos, pos + 1)
            pos += 1
        elif ch in IDENT_START:
            token = _scan_ident(text, pos)
            yield token
            pos = token.end
        elif ch == "-" or ch in _DIGITS:
            token = _scan_number(text, pos)
            yield token
            pos = token.end
        elif ch in "'\"":
            token = _scan_text(text, pos)
            yield token
            pos = token.end
        elif ch in SIGN_RUNES:
            token = _scan_run(text, pos, SIGN_RUNES, Kind.SIGN, SIGNS)
            yield token
            pos = token.end
        elif ch in JOIN_RUNES:
            token = _scan_run(text, pos, JOIN_RUNES, Kind.JOIN, frozenset({"&&", "||"}))
            yield token
            pos = token.end
        else:
            raise ExpressionError(f"unexpected character {ch!r} at {pos}")
    yield Token(Kind.EOF, "", size, size)


def _skip_comment(text: str, pos: int) -> int:
    if not text.startswith("//", pos):
        raise ExpressionError(f"invalid comment at {pos}")
    newline = text.find("\n", pos)
    return len(text) if newline < 0 else newline + 1


def _scan_ident(text: str, pos: int) -> Token:
    end = pos + 1
    while end < len(text) and text[end] in IDENT_BODY:
        end += 1
    literal = text[pos:end]
    if literal[-1] in ".:" or (len(literal) == 1 and literal in "@_#"):
        raise ExpressionError(f"invalid identifier {literal!r}")
    return Token(Kind.IDENT, literal, pos, end)


def _scan_number(text: str, pos: int) -> Token:
    end, had_dot = pos, False
    while end < len(text):
        ch = text[end]
        if ch in _DIGITS or (ch == "-" and end == pos) or (ch == "." and not had_dot):
            had_dot = had_dot or ch == "."
            end += 1
        else:
            break
    literal = text[pos:end]
    if literal in ("-", "-.") or literal.startswith(".") or literal.endswith("."):
        raise ExpressionError(f"invalid number {literal!r}")
    return Token(Kind.NUMBER, literal, pos, end)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


def _scan_text(text: str, pos: int) -> Token:
    """A quoted string; ``\\n \\t \\r \\\\ \\" \\'`` are escapes, any other backslash stays."""
    quote = text[pos]
    out: list[str] = []
    end = pos + 1
    while end < len(text):
        ch = text[end]
        if ch == "\\" and end + 1 < len(text):
            nxt = text[end + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            end += 2
            continue
        end += 1
        if ch == quote:
            return Token(Kind.TEXT, "".join(out), pos, end)
        out.append(ch)
    raise ExpressionError(f"unterminated string at {pos}")


def _scan_run(
    text: str, pos: int, runes: frozenset[str], kind: Kind, valid: frozenset[str]
) -> Token:
    end = pos
    while end < len(text) and text[end] in runes:
        end += 1
    literal = text[pos:end]
    if literal not in valid:
        raise ExpressionError(f"invalid {kind.value} operator {literal!r}")
    return Token(kind, literal, pos, end)
