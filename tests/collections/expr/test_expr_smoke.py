from __future__ import annotations

import pytest

from .conftest import run_filter

pytestmark = pytest.mark.django_db


def test_smoke(expr_data):
    items = expr_data["xp_items"]
    for text in [
        'id != ""',
        "title = 2",
        'n > "1"',
        'multi ~ "a"',
        'rels.name ?= "red"',
        "j.x = 1",
        'owner.name = "Alice"',
    ]:
        print(text, run_filter(items, text))
