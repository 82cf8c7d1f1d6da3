"""Random ids from one draw of random bytes per id (bench/PROFILE.md §6): same shapes,
every character of the alphabet possible and none favoured."""

from __future__ import annotations

import collections
import re
import string

import pytest

from baas.collections.fields.patterns import generate, random_string
from baas.logs.writer import new_id
from baas.realtime.bus import random_id

ALNUM = string.ascii_lowercase + string.digits


@pytest.mark.parametrize(
    "pattern, shape",
    [
        ("[a-z0-9]{15}", r"[a-z0-9]{15}"),
        ("^[a-z0-9]{15}$", r"[a-z0-9]{15}"),
        ("[a-zA-Z0-9]{50}", r"[a-zA-Z0-9]{50}"),
        ("[0-9]{6}", r"[0-9]{6}"),
        ("ab[x-z]{2,5}_", r"ab[x-z]{2,5}_"),
        ("[\u00e0-\u024f]{8}", "[\u00e0-\u024f]{8}"),  # a class of more than 256 characters
    ],
)
def test_generated_values_fit_their_pattern(pattern: str, shape: str) -> None:
    values = {generate(pattern) for _ in range(200)}
    assert all(re.fullmatch(shape, v) for v in values), values
    assert len(values) > 50  # random, not repeated


def test_log_realtime_and_record_ids_keep_their_shape() -> None:
    assert re.fullmatch(r"[a-z0-9]{15}", new_id())
    assert re.fullmatch(r"[A-Za-z0-9]{40}", random_id(40))
    assert random_string(0) == ""


@pytest.mark.parametrize("alphabet", [ALNUM, string.digits, "ab", string.ascii_letters + "-_"])
def test_every_character_is_equally_likely(alphabet: str) -> None:
    """Rejection sampling: no modulo bias (36 does not divide 256; 256 % 36 = 4)."""
    draws = 200_000
    counts = collections.Counter(random_string(draws, alphabet))
    assert set(counts) == set(alphabet)
    expected = draws / len(alphabet)
    chi2 = sum((counts[c] - expected) ** 2 / expected for c in alphabet)
    # p < 1e-6 for the largest alphabet here (63 degrees of freedom): a biased sampler
    # (bytes % 36 favours 0-3 by 1/64) scores in the hundreds.
    assert chi2 < 150, (chi2, counts.most_common(5))
