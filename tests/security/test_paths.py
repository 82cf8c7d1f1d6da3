"""Every other path to a record gives each attacker exactly what REST gives (test_rest.py):
GraphQL, aggregates, search, expand, batch, writes, files. (What only API keys have in
GraphQL, its schema per scope and its write actions: test_keys.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.conftest import ATTACKERS, GUESTS, World
from tests.security.probes import DENIED, PROBES, Outcome, Probe, in_order, names_of, rest_list

pytestmark = pytest.mark.django_db
NO_KEY = [a for a in ATTACKERS if a != "key"]
KEY_SCOPE = "sec_tags"


# ---- GraphQL ---------------------------------------------------------------------------


def graphql_outcome(world: World, actor: str, response: Any, pick: Any) -> Outcome:
    if response.status_code != 200:
        return (response.status_code,)
    body = response.json()
    if body.get("errors"):
        return (body["errors"][0]["extensions"]["status"],)
    return (200, names_of(world, pick(body["data"])))


def graphql_list(world: World, actor: str, probe: Probe) -> Outcome:
    field = f"{probe.collection}List"
    query = (
        "query($f: String, $s: String) {"
        f" {field}(filter: $f, sort: $s, perPage: 100) {{ totalItems items {{ id }} }} }}"
    )
    response = world.gql(query, actor, f=probe.filter or None, s=probe.sort or None)

    def pick(data: Any) -> list[str]:
        found = data[field]
        assert found["totalItems"] == len(found["items"])
        return [item["id"] for item in found["items"]]

    outcome = graphql_outcome(world, actor, response, pick)
    return outcome if outcome[0] != 200 else (200, in_order(probe, outcome[1]))


@pytest.mark.parametrize("probe", PROBES, ids=str)
def test_graphql_lists_agree_with_rest(world, probe: Probe):
    for actor in [*NO_KEY, "owner"]:
        if actor == "owner" and probe.owner is None:
            continue
        assert graphql_list(world, actor, probe) == rest_list(world, actor, probe), actor
    rest = rest_list(world, "key", probe)
    if probe.collection == KEY_SCOPE:
        assert graphql_list(world, "key", probe) == rest
    else:  # REST's 403; the key's schema has no such field: refused before it runs
        assert rest == DENIED
        response = world.gql(f"{{ {probe.collection}List {{ totalItems }} }}", "key")
        assert response.status_code == 400 and "data" not in response.json()
        assert response.json()["errors"][0]["message"].startswith("Cannot query field")


@pytest.mark.parametrize("actor", NO_KEY)
def test_graphql_view_and_nested_relations_agree_with_rest_expand(world, actor):
    ids = world.ids
    query = """query($a: ID!, $v: ID!, $p: ID!) {
      sec_notes(id: $a) { id secret }
      sec_vault(id: $v) { id }
      sec_posts(id: $p) { id secret hidden_tag { id } hidden_tagId
        note { id secret } vault { id code } author { id email } }
    }"""
    body = world.gql(query, actor, a=ids["alpha"], v=ids["vault"], p=ids["p1"]).json()
    rest = world.get(
        f"/api/collections/sec_posts/records/{ids['p1']}",
        actor,
        expand="note,vault,author,hidden_tag",
    ).json()
    assert body["data"]["sec_notes"] is None  # REST: 404
    assert world.get(f"/api/collections/sec_notes/records/{ids['alpha']}", actor).status_code == 404
    assert body["data"]["sec_vault"] is None
    assert [e["extensions"]["status"] for e in body["errors"]] == [403]  # REST: 403
    assert world.get(f"/api/collections/sec_vault/records/{ids['vault']}", actor).status_code == 403
    post = body["data"]["sec_posts"]
    assert post["secret"] is None and "secret" not in rest
    assert post["hidden_tag"] is None and post["hidden_tagId"] is None
    assert "hidden_tag" not in rest
    assert (post["note"], post["vault"], post["author"]) == (None, None, None)
    assert rest["expand"] == {}


def test_graphql_nested_relations_for_the_owner_match_rest_expand(world):
    ids = world.ids
    query = """query($p: ID!) { sec_posts(id: $p) {
        note { id title secret } vault { id } author { id email } } }"""
    post = world.gql(query, "owner", p=ids["p1"]).json()["data"]["sec_posts"]
    rest = world.get(
        f"/api/collections/sec_posts/records/{ids['p1']}",
        "owner",
        expand="note,vault,author,hidden_tag",
    ).json()
    assert post["note"] == {"id": ids["alpha"], "title": "alpha", "secret": None}
    assert post["vault"] is None and post["author"]["id"] == world.cast.owner_id
    assert set(rest["expand"]) == {"note", "author"}
    assert "secret" not in rest["expand"]["note"]


@pytest.mark.parametrize("actor", [*NO_KEY, "owner"])
def test_graphql_writes_on_other_users_records_fail_like_rest(world, actor):
    ids = world.ids
    mutations = {
        "update note": (
            'mutation($id: ID!) { updateSec_notes(id: $id, data: {title: "x"}) { id } }',
            ("PATCH", f"/api/collections/sec_notes/records/{ids['alpha']}"),
        ),
        "delete note": (
            "mutation($id: ID!) { deleteSec_notes(id: $id) }",
            ("DELETE", f"/api/collections/sec_notes/records/{ids['alpha']}"),
        ),
        "update vault": (
            'mutation($id: ID!) { updateSec_vault(id: $id, data: {code: "x"}) { id } }',
            ("PATCH", f"/api/collections/sec_vault/records/{ids['vault']}"),
        ),
    }
    if actor == "owner":
        mutations = {"update vault": mutations["update vault"]}
    for name, (mutation, (method, path)) in mutations.items():
        record_id = ids["vault"] if "vault" in name else ids["alpha"]
        body = world.gql(mutation, actor, id=record_id).json()
        got = body["errors"][0]["extensions"]["status"]
        rest = world.api.request(method, path, json={"title": "x"}, token=world.token(actor))
        assert got == rest.status_code, name
        assert rest.status_code == (403 if "vault" in name else 404), name
    _assert_untouched(world)


def _assert_untouched(world: World) -> None:
    su = world.token("superuser")
    alpha = world.api.get(f"/api/collections/sec_notes/records/{world.ids['alpha']}", token=su)
    vault = world.api.get(f"/api/collections/sec_vault/records/{world.ids['vault']}", token=su)
    assert alpha.json()["title"] == "alpha" and vault.json()["code"] == "zeta-code"


@pytest.mark.parametrize("actor", GUESTS)
def test_graphql_introspection_and_suggestions_hide_the_schema_from_non_superusers(world, actor):
    for query in ("{ __schema { types { name } } }", '{ __type(name: "Sec_vault") { name } }'):
        body = world.gql(query, actor).json()
        assert "data" not in body or body["data"] is None
        assert "Sec_vault" not in str(body)
    # a misspelt name is not answered with the names of collections and fields
    for query in ("{ sec_vaul { id } }", "{ sec_postsList { items { secre } } }"):
        body = world.gql(query, actor).json()
        assert body["errors"], body
        assert "sec_vault" not in str(body) and "secret" not in str(body), body
    # REST's list of collections is superuser-only too
    assert world.get("/api/collections", actor).status_code == 401
    # superusers do get the schema
    su = world.gql("{ __schema { types { name } } }", "superuser").json()
    assert "Sec_vault" in {t["name"] for t in su["data"]["__schema"]["types"]}


# ---- aggregates -------------------------------------------------------------------------------


def aggregate(world: World, actor: str, collection: str, **query: Any) -> Outcome:
    response = world.get(f"/api/collections/{collection}/aggregate", actor, **query)
    if response.status_code != 200:
        return (response.status_code,)
    return (200, response.json()["items"])


@pytest.mark.parametrize("probe", [p for p in PROBES if not p.sort], ids=str)
def test_aggregate_counts_agree_with_rest(world, probe: Probe):
    for actor in [*ATTACKERS, *(["owner"] if probe.owner else [])]:
        rest = rest_list(world, actor, probe)
        query = {"fn": "count", **({"filter": probe.filter} if probe.filter else {})}
        got = aggregate(world, actor, probe.collection, **query)
        expected = (200, [{"group": {}, "count": len(rest[1])}]) if rest[0] == 200 else rest
        assert got == expected, actor


@pytest.mark.parametrize("actor", NO_KEY)
@pytest.mark.parametrize(
    ("collection", "query"),
    [
        ("sec_posts", {"fn": "max(secret)"}),
        ("sec_posts", {"fn": "count", "groupBy": "secret"}),
        ("sec_posts", {"fn": "count", "groupBy": "hidden_tag"}),
        ("sec_members", {"fn": "count", "groupBy": "email"}),
        ("sec_members", {"fn": "min(email)"}),
        ("sec_members", {"fn": "count", "groupBy": "tokenKey"}),
    ],
)
def test_aggregates_over_fields_the_caller_may_not_read_are_refused(
    world, actor, collection, query
):
    assert aggregate(world, actor, collection, **query) == (400,)


def test_aggregate_of_the_owner_only_collection_counts_only_own_records(world):
    assert aggregate(world, "other", "sec_notes", fn="sum(n)")[1] == [
        {"group": {}, "sum": {"n": 3}}
    ]
    assert aggregate(world, "guest", "sec_notes", fn="sum(n)")[1] == [
        {"group": {}, "sum": {"n": 0}}
    ]


# ---- full-text search ----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [*NO_KEY, "owner"])
def test_search_does_not_match_hidden_fields(world, actor):
    """``secret`` is hidden and marked searchable: a word only it holds finds nothing, or
    search would answer yes/no about a value the caller may not read."""
    for path in ("records", "aggregate"):
        url = f"/api/collections/sec_posts/{path}"
        for word, found in (("apricot", 0), ("hello", 1)):
            response = world.get(url, actor, search=word)
            if path == "records":
                assert response.json()["totalItems"] == found, (word, response.content)
    query = '{ sec_postsList(search: "apricot") { totalItems } }'
    assert world.gql(query, actor).json()["data"]["sec_postsList"]["totalItems"] == 0


@pytest.mark.parametrize("actor", NO_KEY)
def test_search_keeps_the_list_rule(world, actor):
    found = world.get("/api/collections/sec_notes/records", actor, search="alpha").json()
    assert found["items"] == []


# ---- expand ------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", NO_KEY)
def test_expand_shows_only_what_the_caller_may_view(world, actor):
    ids = world.ids
    items = world.get(
        "/api/collections/sec_posts/records",
        actor,
        expand="note,vault,author,hidden_tag,note.author",
    ).json()["items"]
    expands = {names_of(world, [i["id"]])[0]: i["expand"] for i in items}
    assert expands["p1"] == {}
    if actor == "other":  # the other user may view themself
        assert list(expands["p2"]) == ["author"]
        assert expands["p2"]["author"]["id"] == world.cast.other_id
    else:
        assert expands["p2"] == {}
    # a hidden relation, or a back-relation through one, is an unknown name (no expand)
    for expand in ("hidden_tag", "sec_posts_via_hidden_tag"):
        collection = "sec_posts" if expand == "hidden_tag" else "sec_tags"
        found = world.get(f"/api/collections/{collection}/records", actor, expand=expand)
        assert [item.get("expand") for item in found.json()["items"]] == [None] * (
            2 if expand == "hidden_tag" else 1
        )
    assert ids["t1"] == found.json()["items"][0]["id"]


def test_the_owner_expands_own_records_but_never_hidden_relations(world):
    item = world.get(
        f"/api/collections/sec_posts/records/{world.ids['p1']}",
        "owner",
        expand="note,vault,hidden_tag",
    ).json()
    assert list(item["expand"]) == ["note"] and "secret" not in item["expand"]["note"]
    tags = world.get(
        "/api/collections/sec_tags/records", "owner", expand="sec_posts_via_hidden_tag"
    )
    assert "expand" not in tags.json()["items"][0]
    # superusers see hidden relations expanded
    su = world.get(
        "/api/collections/sec_tags/records", "superuser", expand="sec_posts_via_hidden_tag"
    )
    assert [p["id"] for p in su.json()["items"][0]["expand"]["sec_posts_via_hidden_tag"]] == [
        world.ids["p1"]
    ]


def test_an_api_key_does_not_expand_into_collections_outside_its_scope(world):
    item = world.get(
        f"/api/collections/sec_tags/records/{world.ids['t1']}", "key", expand="note,note.author"
    )
    assert item.status_code == 200
    assert item.json()["expand"] == {}
    assert item.json()["note"] == world.ids["alpha"]  # its own collection's values it sees
    # and may not read there directly
    direct = world.get(f"/api/collections/sec_notes/records/{world.ids['alpha']}", "key")
    assert direct.status_code == 403


# ---- writes: REST and batch ------------------------------------------------------------------------

WRITES = [
    ("create vault", "POST", "/api/collections/sec_vault/records", {"code": "x"}),
    ("update vault", "PATCH", "/api/collections/sec_vault/records/{vault}", {"code": "x"}),
    ("delete vault", "DELETE", "/api/collections/sec_vault/records/{vault}", None),
    ("update note", "PATCH", "/api/collections/sec_notes/records/{alpha}", {"title": "x"}),
    ("delete note", "DELETE", "/api/collections/sec_notes/records/{alpha}", None),
    ("update post", "PATCH", "/api/collections/sec_posts/records/{p1}", {"title": "x"}),
    ("delete post", "DELETE", "/api/collections/sec_posts/records/{p1}", None),
    ("upsert note", "PUT", "/api/collections/sec_notes/records", {"id": "{alpha}", "title": "x"}),
]
WRITE_STATUS = {
    "create vault": 403,
    "update vault": 403,
    "delete vault": 403,
    "update note": 404,
    "delete note": 404,
    "update post": 404,
    "delete post": 404,
    "upsert note": 404,
}


def _fill(text: str, ids: dict[str, str]) -> str:
    return text.format(**ids)


@pytest.mark.parametrize("actor", ATTACKERS)
@pytest.mark.parametrize("write", WRITES, ids=lambda w: w[0])
def test_writes_to_other_users_records_fail_on_rest_and_in_batch(world, actor, write):
    name, method, path, body = write
    url = _fill(path, world.ids)
    payload = {k: _fill(v, world.ids) for k, v in body.items()} if body else None
    token = world.token(actor)
    expected = 403 if actor == "key" else WRITE_STATUS[name]
    if method != "PUT":  # PUT is a batch-only upsert
        rest = world.api.request(method, url, json=payload, token=token)
        assert rest.status_code == expected, rest.content
    batch = world.api.post(
        "/api/batch",
        json={"requests": [{"method": method, "url": url, "body": payload or {}}]},
        token=token,
    )
    # a scoped key reaches batch, where the record service checks each operation's scope
    assert batch.status_code == 400, batch.content
    inner = batch.json()["data"]["requests"]["0"]["response"]
    assert inner["status"] == expected, inner
    _assert_untouched(world)
    su = world.token("superuser")
    p1 = world.api.get(_fill("/api/collections/sec_posts/records/{p1}", world.ids), token=su)
    assert p1.json()["title"] == "hello world"


@pytest.mark.parametrize("actor", GUESTS)
def test_bad_tokens_cannot_create_where_a_sign_in_is_needed(world, actor):
    made = world.api.post(
        "/api/collections/sec_notes/records", json={"title": "x"}, token=world.token(actor)
    )
    assert made.status_code == 400  # the create rule fails (wire-api §3.6)


# ---- files -------------------------------------------------------------------------------------------


def _file_token(world: World, actor: str) -> Any:
    return world.api.post("/api/files/token", token=world.token(actor))


@pytest.mark.parametrize("actor", ATTACKERS)
def test_protected_files_need_a_file_token_of_someone_who_may_view_the_record(world, actor):
    su = world.token("superuser")
    alpha = world.api.get(f"/api/collections/sec_notes/records/{world.ids['alpha']}", token=su)
    url = f"/api/files/sec_notes/{world.ids['alpha']}/{alpha.json()['doc']}"
    minted = _file_token(world, actor)
    if actor == "key":
        assert minted.status_code == 403
        token = ""
    elif actor == "other":
        token = minted.json()["token"]
    else:
        assert minted.status_code == 401
        token = world.token(actor) or ""  # an auth token (or forged one) is not a file token
    assert world.api.get(url).status_code == 404
    assert world.api.get(url, query={"token": token}).status_code == 404
    # the Authorization header plays no part, a scoped key's neither
    assert world.api.get(url, token=world.token(actor)).status_code == 404
    owner_token = _file_token(world, "owner").json()["token"]
    assert world.api.get(url, query={"token": owner_token}).status_code == 200


def test_a_file_token_is_not_an_auth_token(world):
    file_token = _file_token(world, "owner").json()["token"]
    listed = world.api.get("/api/collections/sec_notes/records", token=file_token)
    assert (listed.status_code, listed.json()["items"]) == (200, [])
    made = world.api.post(
        "/api/collections/sec_notes/records", json={"title": "x"}, token=file_token
    )
    assert made.status_code == 400
    query = "{ sec_notesList { totalItems } }"
    assert world.api.post("/api/graphql", json={"query": query}, token=file_token).json() == {
        "data": {"sec_notesList": {"totalItems": 0}}
    }
