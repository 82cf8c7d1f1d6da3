"""The owner rule uses the relation's index (bench/PROFILE.md §3), with the same results.

``relation = <non-empty text>`` (``author = @request.auth.id``) tests the column itself
(``column = x AND column IS NOT NULL``), not ``COALESCE(column, '')``: the same truth
value, and an index on the relation serves it. NULL relations still compare as ``''``.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from tests.collections.test_query_plans import list_sql, plan, posts, titles

__all__ = ["posts"]  # the fixture


def test_relation_equality_keeps_its_meaning(api: Any, cast: Any, posts: dict[str, str]) -> None:
    owner, other = cast.owner_id, cast.other_id
    assert titles(api, cast.owner, "sort=title") == ["B", "b", "\u00e9"]  # the owner rule
    assert titles(api, cast.other, "sort=title") == ["_"]
    su = cast.superuser
    assert titles(api, su, f"sort=title&filter=author='{owner}'") == ["B", "b", "\u00e9"]
    assert titles(api, su, f"sort=title&filter='{other}'=author") == ["_"]
    # NULL is '' for = and !=, as in the binary (which stores '')
    assert titles(api, su, f"sort=title&filter=author!='{owner}'") == ["_", "a"]
    assert titles(api, su, "sort=title&filter=author=''") == ["a"]
    assert titles(api, su, "sort=title&filter=author!=''") == ["B", "_", "b", "\u00e9"]
    assert titles(api, su, f"sort=title&filter=(author='{owner}' || title='a')") == [
        "B",
        "a",
        "b",
        "\u00e9",
    ]


def test_the_owner_list_uses_the_author_created_index(cast: Any, posts: dict[str, str]) -> None:
    text = plan(*list_sql("author = @request.auth.id", "-created", cast.owner_id))
    assert "idx_author_created" in text, text
    if connection.vendor == "postgresql":
        assert "Index Cond" in text and "Seq Scan" not in text, text
