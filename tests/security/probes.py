"""The probes every path is tried with, and what REST answers to each (the reference).

A probe lists a collection with a filter and/or sort. Its outcome is ``(200, [names])``
(the records the caller got, by their fixture name: in order when sorted) or ``(status,)``.
``expected`` gives the outcome per attacker; ``"guest"`` stands for every token that is
not valid (forged, expired, escalated, unsigned) as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Outcome = tuple[Any, ...]
NONE: Outcome = (200, [])
DENIED: Outcome = (403,)  # a locked rule, @request/@collection in a filter, an API key's scope
BAD: Outcome = (400,)  # an unknown, hidden or superuser-only field in a filter or sort


@dataclass(frozen=True)
class Probe:
    name: str
    collection: str
    filter: str = ""
    sort: str = ""
    guest: Outcome = NONE
    other: Outcome = NONE
    key: Outcome = DENIED
    owner: Outcome | None = None  # the control: the owner does see it

    def expected(self, actor: str) -> Outcome:
        from tests.security.conftest import GUESTS

        if actor in GUESTS:
            return self.guest
        if actor == "owner":
            assert self.owner is not None
            return self.owner
        return {"other": self.other, "key": self.key}[actor]

    def __str__(self) -> str:
        return self.name


ALL_POSTS: Outcome = (200, ["p1", "p2"])

PROBES = [
    Probe("notes", "sec_notes", other=(200, ["beta"]), owner=(200, ["alpha"])),
    Probe("notes by hidden secret", "sec_notes", "secret ~ 's3'", guest=BAD, other=BAD),
    Probe("vault", "sec_vault", guest=DENIED, other=DENIED),
    Probe("posts", "sec_posts", guest=ALL_POSTS, other=ALL_POSTS, owner=ALL_POSTS),
    Probe("hidden field", "sec_posts", "secret ~ 'a'", guest=BAD, other=BAD),
    Probe("hidden relation", "sec_posts", "hidden_tag != ''", guest=BAD, other=BAD),
    Probe("hidden relation's field", "sec_posts", "hidden_tag.name = 't1'", guest=BAD, other=BAD),
    Probe("superuser-only relation", "sec_posts", "vault.code ~ 'z'", guest=BAD, other=BAD),
    Probe("hidden field of a relation", "sec_posts", "note.secret ~ 's3'", guest=BAD, other=BAD),
    Probe("owner-only relation", "sec_posts", "note.title = 'alpha'", owner=(200, ["p1"])),
    Probe("owner-only relation number", "sec_posts", "note.n > 5", owner=(200, ["p1"])),
    Probe("users' email", "sec_posts", "author.email ~ 'owner'", owner=NONE),
    Probe(
        "@collection",
        "sec_posts",
        "@collection.sec_vault.code = 'zeta-code'",
        guest=DENIED,
        other=DENIED,
    ),
    Probe("@request", "sec_posts", "@request.auth.id != ''", guest=DENIED, other=DENIED),
    Probe("sort by hidden", "sec_posts", sort="secret", guest=BAD, other=BAD),
    Probe("sort by superuser-only", "sec_posts", sort="vault.code", guest=BAD, other=BAD),
    Probe("tags", "sec_tags", guest=(200, ["t1"]), other=(200, ["t1"]), key=(200, ["t1"])),
    Probe(
        "key: out-of-scope relation",
        "sec_tags",
        "note.title = 'alpha'",
        owner=(200, ["t1"]),
    ),
    Probe(
        "back-relation through a hidden field",
        "sec_tags",
        "sec_posts_via_hidden_tag.title ~ 'hello'",
        guest=BAD,
        other=BAD,
    ),
    Probe(
        "back-relation into an owner-only collection",
        "sec_notes",
        "sec_tags_via_note.name = 't1'",
        owner=(200, ["alpha"]),
    ),
    Probe(
        "key: out-of-scope hidden field",
        "sec_tags",
        "note.secret ~ 's3'",
        guest=BAD,
        other=BAD,
    ),
    Probe(
        "key: out-of-scope @collection",
        "sec_tags",
        "@collection.sec_vault.code = 'zeta-code'",
        guest=DENIED,
        other=DENIED,
    ),
    Probe(
        "key: sort by out-of-scope",
        "sec_tags",
        sort="note.secret",
        guest=BAD,
        other=BAD,
    ),
    Probe(
        "hidden email",
        "sec_members",
        "email ~ 'hidden'",
        guest=NONE,
        other=NONE,
    ),
    Probe("tokenKey", "sec_members", "tokenKey != ''", guest=BAD, other=BAD),
    Probe("password hash", "sec_members", "password ~ '$'", guest=BAD, other=BAD),
    Probe("sort by tokenKey", "sec_members", sort="tokenKey", guest=BAD, other=BAD),
    Probe(  # a hidden email sorts as no value (first), not by the email itself
        "sort by hidden email",
        "sec_members",
        sort="email",
        guest=(200, ["member_hidden", "member_a", "member_shown"]),
        other=(200, ["member_hidden", "member_a", "member_shown"]),
    ),
    Probe(
        "sort by hidden email, descending",
        "sec_members",
        sort="-email",
        guest=(200, ["member_shown", "member_a", "member_hidden"]),
        other=(200, ["member_shown", "member_a", "member_hidden"]),
    ),
    Probe(
        "shown email",
        "sec_members",
        "email ~ 'shown'",
        guest=(200, ["member_shown"]),
        other=(200, ["member_shown"]),
    ),
]


def names_of(world: Any, ids: list[str]) -> list[str]:
    by_id = {v: k for k, v in world.ids.items()}
    return [by_id.get(i, i) for i in ids]


def rest_list(world: Any, actor: str, probe: Probe) -> Outcome:
    query = {k: v for k, v in (("filter", probe.filter), ("sort", probe.sort)) if v}
    response = world.get(f"/api/collections/{probe.collection}/records", actor, **query)
    if response.status_code != 200:
        return (response.status_code,)
    body = response.json()
    assert body["totalItems"] == len(body["items"]), body  # the count agrees with the items
    return (200, in_order(probe, names_of(world, [item["id"] for item in body["items"]])))


def in_order(probe: Probe, names: list[str]) -> list[str]:
    """Without a sort the order is the default one (by id here, which is random)."""
    return names if probe.sort else sorted(names)
