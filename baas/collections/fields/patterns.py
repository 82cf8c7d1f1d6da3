"""Random values from ``autogeneratePattern`` regexes such as ``[a-z0-9]{15}``.

Only the shapes that collections use are supported: literals, character classes
with ranges, and ``{n}`` / ``{m,n}`` repeats. Anything else is refused when the
collection is saved, so generation never fails at insert time.
"""

from __future__ import annotations

import functools
import re
import secrets
import string

_TOKEN = re.compile(r"\[(?P<cls>[^\]]+)\]|(?P<lit>\\.|[A-Za-z0-9_\-])")
_REPEAT = re.compile(r"\{(\d+)(?:,(\d+))?\}")


class PatternError(ValueError):
    pass


def _expand_class(body: str) -> str:
    chars: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            start, end = body[i], body[i + 2]
            if ord(start) > ord(end):
                raise PatternError(f"bad range {start}-{end}")
            chars.extend(chr(c) for c in range(ord(start), ord(end) + 1))
            i += 3
        else:
            chars.append(body[i])
            i += 1
    if not chars or body.startswith("^"):
        raise PatternError("unsupported character class")
    return "".join(dict.fromkeys(chars))


def compile_pattern(pattern: str) -> list[tuple[str, int, int]]:
    """Parse into (alphabet, min, max) parts; raises PatternError for other shapes."""
    pattern = pattern.removeprefix("^").removesuffix("$")
    parts: list[tuple[str, int, int]] = []
    pos = 0
    while pos < len(pattern):
        token = _TOKEN.match(pattern, pos)
        if not token:
            raise PatternError(f"unsupported pattern at {pos}")
        alphabet = _expand_class(token["cls"]) if token["cls"] else token["lit"][-1]
        pos = token.end()
        low = high = 1
        repeat = _REPEAT.match(pattern, pos)
        if repeat:
            low = int(repeat[1])
            high = int(repeat[2]) if repeat[2] else low
            pos = repeat.end()
        if high < low or high > 1000:
            raise PatternError("bad repeat")
        parts.append((alphabet, low, high))
    if not parts:
        raise PatternError("empty pattern")
    return parts


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> tuple[tuple[str, int, int], ...]:
    return tuple(compile_pattern(pattern))


def generate(pattern: str) -> str:
    out: list[str] = []
    for alphabet, low, high in _compiled(pattern):
        count = low if low == high else low + secrets.randbelow(high - low + 1)
        out.append(random_string(count, alphabet))
    return "".join(out)


def random_string(length: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    """``length`` characters drawn uniformly from ``alphabet`` with the OS's CSPRNG.

    One ``token_bytes`` draw per id instead of one ``getrandom()`` per character
    (bench/PROFILE.md §6); bytes at or above the largest multiple of the alphabet's size
    are skipped (rejection sampling), so every character stays equally likely.
    """
    size = len(alphabet)
    if size > 256:
        return "".join(secrets.choice(alphabet) for _ in range(length))
    limit = 256 - 256 % size
    out: list[str] = []
    while len(out) < length:
        need = length - len(out)
        for byte in secrets.token_bytes(need + need // 4 + 4):
            if byte < limit:
                out.append(alphabet[byte % size])
                if len(out) == length:
                    break
    return "".join(out)
