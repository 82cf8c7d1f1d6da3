"""The live feeds: realtime SSE (``/api/realtime``), the WebSocket feed (``/api/ws``) and
GraphQL subscriptions, on a live ``baas serve``. Each attacker subscribes to everything
it should not see; then a superuser writes there, and last creates a public tag (the
sentinel). Deliveries to one client keep their order, so everything an attacker was
sent before the sentinel is everything it would ever get for those writes: it must be
exactly what REST lets it read."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.realtime.live import PASSWORD, Api, SSEClient, with_options

OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}
MINE = "author = @request.auth.id"
BAD_KEYS = ("revoked_key", "expired_key", "forged_key")
LIVE_ATTACKERS = ("guest", "other", "key", "forged", "escalated", "alg_none", *BAD_KEYS)
# tokens that do not resolve: a guest on SSE and /api/ws, a 4403 at GraphQL's init
NOT_RESOLVED = ("forged", "escalated", "alg_none", *BAD_KEYS)
SUPERUSERS_ID = "pbc_3142635823"


@dataclass
class Live:
    base: str
    api: Api
    tokens: dict[str, str | None]
    ids: dict[str, str] = field(default_factory=dict)

    def root(self) -> str:
        token = self.tokens["superuser"]
        assert token
        return token

    def writes(self) -> None:
        """Writes no attacker may see, a public post, then the sentinel tag."""
        root, ids = self.root(), self.ids
        self.api.update("secrt_notes", ids["alpha"], {"title": "alpha 2"}, token=root)
        self.api.create("secrt_vault", {"code": "zeta-2"}, token=root)
        post = {
            "title": "live post",
            "secret": "apricot",
            "author": ids["owner"],
            "note": ids["alpha"],
            "vault": ids["vault"],
            "hidden_tag": ids["t1"],
        }
        self.ids["post"] = self.api.create("secrt_posts", post, token=root)["id"]
        self.api.create("secrt_tags", {"name": "sentinel"}, token=root)


@pytest.fixture(scope="module")
def live(baas_server: Any) -> Live:
    email = "sec-root@example.com"
    result = baas_server.cli("superuser", "upsert", email, PASSWORD)
    assert result.returncode == 0, result.stderr
    api = Api(str(baas_server))
    root = api.sign_in("_superusers", email)["token"]
    started = time.monotonic()
    bad_keys = _bad_keys(api, root)  # one expires a second after it is made
    ids: dict[str, str] = {}
    for name in ("sec-owner", "sec-other"):
        body = {"email": f"{name}@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
        ids[name] = api.create("users", body, token=root)["id"]
    users = "_pb_users_auth_"

    def rel(name: str, target: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "type": "relation", "collectionId": target, "maxSelect": 1, **extra}

    def make(body: dict[str, Any]) -> str:
        return str(api.ok("POST", "/api/collections", body, token=root)["id"])

    vault = make({"name": "secrt_vault", "fields": [{"name": "code", "type": "text"}]})
    notes = make(
        {
            "name": "secrt_notes",
            **{r: MINE for r in ("listRule", "viewRule", "updateRule", "deleteRule")},
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "secret", "type": "text", "hidden": True},
                rel("author", users),
            ],
        }
    )
    tags = make({"name": "secrt_tags", **OPEN, "fields": [{"name": "name", "type": "text"}]})
    make(
        {
            "name": "secrt_posts",
            **OPEN,
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "secret", "type": "text", "hidden": True},
                rel("author", users),
                rel("note", notes),
                rel("vault", vault),
                rel("hidden_tag", tags, hidden=True),
            ],
        }
    )
    ids["owner"] = ids["sec-owner"]
    ids["vault"] = api.create("secrt_vault", {"code": "zeta"}, token=root)["id"]
    ids["alpha"] = api.create(
        "secrt_notes", {"title": "alpha", "secret": "s3", "author": ids["owner"]}, token=root
    )["id"]
    ids["t1"] = api.create("secrt_tags", {"name": "t1"}, token=root)["id"]
    key = api.ok(
        "POST",
        "/api/x/api-keys",
        {"name": "tags only", "collections": ["secrt_tags"], "actions": []},
        token=root,
    )["key"]
    owner = api.sign_in("users", "sec-owner@example.com")["token"]
    claims = jwt.decode(owner, options={"verify_signature": False})
    wrong = "not-the-key-of-this-server-0123456789"
    tokens: dict[str, str | None] = {
        "guest": None,
        "superuser": root,
        "owner": owner,
        "other": api.sign_in("users", "sec-other@example.com")["token"],
        "key": key,
        "forged": jwt.encode(claims, wrong, algorithm="HS256"),
        "alg_none": jwt.encode(claims, None, algorithm="none"),
        "escalated": jwt.encode(
            {**claims, "collectionId": SUPERUSERS_ID}, wrong, algorithm="HS256"
        ),
        **bad_keys,
    }
    time.sleep(max(0.0, started + 1.5 - time.monotonic()))  # until expired_key has expired
    return Live(base=str(baas_server), api=api, tokens=tokens, ids=ids)


def _bad_keys(api: Api, root: str) -> dict[str, str | None]:
    """Unscoped keys (a superuser's rights, were they valid): one revoked, one that
    expires a second after it is made, and a live key's id with a forged secret."""
    made = {}
    for name in BAD_KEYS:
        body = {"name": name, "collections": [], "actions": []}
        if name == "expired_key":
            body["duration"] = 1
        made[name] = api.ok("POST", "/api/x/api-keys", body, token=root)
    revoked = api.request("DELETE", f"/api/x/api-keys/{made['revoked_key']['id']}", token=root)
    assert revoked.status_code == 204
    live = made["forged_key"]["key"]
    secret = "B" * 40 if live.endswith("A" * 40) else "A" * 40  # the format's 40 characters
    return {
        "revoked_key": made["revoked_key"]["key"],
        "expired_key": made["expired_key"]["key"],
        "forged_key": live[:-40] + secret,
    }


def _rest_post(live: Live, actor: str) -> dict[str, Any]:
    """The post as REST shows it to ``actor``."""
    token = live.tokens[actor]
    response = live.api.request(
        "GET",
        f"/api/collections/secrt_posts/records/{live.ids['post']}?expand=note,vault,author,hidden_tag",
        token=token,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


# ---- SSE ---------------------------------------------------------------------------------------

TOPICS = [
    "secrt_notes/*",
    "secrt_notes/{alpha}",
    "secrt_vault/*",
    with_options("secrt_posts/*", {"filter": "secret ~ 'apricot'"}),
    with_options("secrt_posts/*", {"filter": "note.title ~ 'alpha'"}),
    with_options("secrt_posts/*", {"filter": "vault.code ~ 'zeta'"}),
    with_options("secrt_posts/*", {"expand": "note,vault,author,hidden_tag"}),
    "secrt_tags/*",
]


@pytest.mark.parametrize("actor", [*LIVE_ATTACKERS, "owner"])
def test_sse_delivers_only_what_rest_shows(live, actor):
    sse = SSEClient(live.base)
    try:
        topics = [t.replace("{alpha}", live.ids["alpha"]) for t in TOPICS]
        # the key is scoped to secrt_tags; a bad key or token is a guest
        subscribed = sse.subscribe(*topics, token=live.tokens[actor])
        assert subscribed.status_code == 204, subscribed.text
        live.writes()
        got = []
        while True:
            event = sse.next()
            got.append(event)
            if event.data["record"]["collectionName"] == "secrt_tags":
                break
    finally:
        sse.close()
    records = [(e.data["record"]["collectionName"], e.data["action"]) for e in got]
    if actor == "owner":  # the control: the owner's note and the filter through it
        assert sorted(records) == sorted(
            [
                ("secrt_notes", "update"),
                ("secrt_notes", "update"),
                ("secrt_posts", "create"),
                ("secrt_posts", "create"),
                ("secrt_tags", "create"),
            ]
        )
    elif actor == "key":  # outside its scope nothing, inside it a superuser's view
        assert records == [("secrt_tags", "create")]
        return
    else:
        assert records == [("secrt_posts", "create"), ("secrt_tags", "create")]
    posts = [e.data["record"] for e in got if e.data["record"]["collectionName"] == "secrt_posts"]
    post = next(p for p in posts if "expand" in p)  # the subscription with options.expand
    rest = _rest_post(live, actor)
    assert "secret" not in post and "hidden_tag" not in post
    assert post["expand"] == rest["expand"]
    assert set(post) == set(rest)


# ---- the WebSocket feed -----------------------------------------------------------------------------


def _ws(live: Live, actor: str) -> ClientConnection:
    return _ws_with(live, live.tokens[actor])


def _ws_with(live: Live, token: str | None) -> ClientConnection:
    url = live.base.replace("http://", "ws://") + "/api/ws" + (f"?token={token}" if token else "")
    return connect(url, open_timeout=10)


def _ask(ws: ClientConnection, **message: Any) -> dict[str, Any]:
    message["ref"] = "r"
    ws.send(json.dumps(message))
    while True:
        reply = json.loads(ws.recv(timeout=10))
        if reply.get("ref") == "r":
            return dict(reply)


@pytest.mark.parametrize("actor", LIVE_ATTACKERS)
def test_websocket_feed_delivers_only_what_rest_shows(live, actor):
    ws = _ws(live, actor)  # the key is scoped to secrt_tags; a bad key or token is a guest
    try:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        topics = [t.replace("{alpha}", live.ids["alpha"]) for t in TOPICS]
        reply = _ask(ws, type="subscribe", topics=topics)
        assert reply["type"] == "ok", reply
        live.writes()
        got = []
        while True:
            message = json.loads(ws.recv(timeout=10))
            if message.get("type") != "event":
                continue
            got.append(message["data"])
            if message["data"]["record"]["collectionName"] == "secrt_tags":
                break
    finally:
        ws.close()
    records = [(d["record"]["collectionName"], d["action"]) for d in got]
    if actor == "key":
        assert records == [("secrt_tags", "create")]
        return
    assert records == [("secrt_posts", "create"), ("secrt_tags", "create")]
    post = got[0]["record"]
    assert "secret" not in post and "hidden_tag" not in post
    assert post["expand"] == _rest_post(live, actor)["expand"]


def _events_until_pong(ws: ClientConnection) -> list[dict[str, Any]]:
    """The events delivered before the answer to a ping sent now: the pong goes through
    the same queue as the events, so it comes after every event already queued."""
    ws.send(json.dumps({"type": "ping", "ref": "p"}))
    events = []
    while (message := json.loads(ws.recv(timeout=10))).get("ref") != "p":
        if message.get("type") == "event":
            events.append(message["data"])
    return events


def _next_record(ws: ClientConnection) -> dict[str, Any]:
    while (message := json.loads(ws.recv(timeout=10))).get("type") != "event":
        continue
    return dict(message["data"]["record"])


def test_a_key_revoked_while_connected_gets_no_more_events(live):
    root = live.root()
    made = live.api.ok(
        "POST", "/api/x/api-keys", {"name": "live", "collections": [], "actions": []}, token=root
    )
    keyed, guest = _ws_with(live, made["key"]), _ws(live, "guest")
    try:
        for ws in (keyed, guest):
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            assert _ask(ws, type="subscribe", topics=["secrt_tags/*"])["type"] == "ok"
        live.api.create("secrt_tags", {"name": "before"}, token=root)
        assert _next_record(keyed)["name"] == "before"  # the control: the key is heard
        assert _next_record(guest)["name"] == "before"
        revoked = live.api.request("DELETE", f"/api/x/api-keys/{made['id']}", token=root)
        assert revoked.status_code == 204
        live.api.create("secrt_tags", {"name": "after"}, token=root)
        # one event is checked for every subscriber at once and queued to each in turn:
        # once the guest has it, the key's copy (were there one) is queued before the pong
        assert _next_record(guest)["name"] == "after"
        assert _events_until_pong(keyed) == []
    finally:
        keyed.close()
        guest.close()


@pytest.mark.parametrize("actor", BAD_KEYS)
def test_bad_keys_cannot_authenticate_a_websocket_later(live, actor):
    ws = _ws(live, "guest")
    try:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        reply = _ask(ws, type="auth", token=live.tokens[actor])
        assert (reply["type"], reply["status"]) == ("error", 400)
        scoped = _ask(ws, type="auth", token=live.tokens["key"])
        assert scoped["type"] == "ok" and scoped["auth"]["collectionName"] == "_superusers"
    finally:
        ws.close()


def test_a_scoped_key_joins_only_the_record_channels_it_may_view(live):
    ws = _ws(live, "key")
    try:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        tag = _ask(ws, type="join", channel=f"secrt_tags/{live.ids['t1']}")
        note = _ask(ws, type="join", channel=f"secrt_notes/{live.ids['alpha']}")
        lobby = _ask(ws, type="join", channel="lobby")
        assert (tag["type"], lobby["type"]) == ("joined", "joined")
        assert (note["type"], note["status"]) == ("error", 403)
    finally:
        ws.close()


# ---- GraphQL subscriptions ------------------------------------------------------------------------

SUBSCRIPTIONS = {
    "notes": "subscription { secrt_notes { action record { id title } } }",
    "vault": "subscription { secrt_vault { action record { id code } } }",
    "hidden filter": 'subscription { secrt_posts(filter: "secret ~ \\"apricot\\"") { action } }',
    "relation filter": 'subscription { secrt_posts(filter: "note.title ~ \\"alpha\\"") { action } }',
    "posts": """subscription { secrt_posts { action record {
        id secret hidden_tag { id } hidden_tagId note { id } vault { id } author { id } } } }""",
    "tags": "subscription { secrt_tags { action record { id } } }",
}


@pytest.fixture
def graphql_socket(live: Live) -> Iterator[Any]:
    made: list[ClientConnection] = []

    def open_(actor: str) -> ClientConnection:
        url = live.base.replace("http://", "ws://") + "/api/graphql"
        ws = connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10)  # type: ignore[list-item]
        made.append(ws)
        token = live.tokens[actor]
        payload = {"Authorization": token} if token else {}
        ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        return ws

    yield open_
    for ws in made:
        ws.close()


@pytest.mark.parametrize("actor", LIVE_ATTACKERS)
def test_graphql_subscriptions_deliver_only_what_rest_shows(live, graphql_socket, actor):
    ws = graphql_socket(actor)
    if actor in NOT_RESOLVED:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        return
    ack = json.loads(ws.recv(timeout=10))
    assert ack == {"type": "connection_ack"}
    for op_id, query in SUBSCRIPTIONS.items():
        ws.send(json.dumps({"type": "subscribe", "id": op_id, "payload": {"query": query}}))
    ws.send(json.dumps({"type": "ping"}))
    refused: dict[str, Any] = {}
    while (message := json.loads(ws.recv(timeout=10)))["type"] != "pong":
        assert message["type"] == "error", message
        refused[message["id"]] = [e.get("extensions", {}).get("status") for e in message["payload"]]
    if actor == "key":  # its schema has secrt_tags only: the rest are unknown fields
        assert refused == {op: [None] for op in SUBSCRIPTIONS if op != "tags"}
    else:  # REST: the vault's list is 403, a filter on a hidden field 400
        assert refused == {"vault": [403], "hidden filter": [400]}
    live.writes()
    got: list[tuple[str, Any]] = []
    while True:
        message = json.loads(ws.recv(timeout=10))
        assert message["type"] == "next", message
        got.append((message["id"], message["payload"]))
        if message["id"] == "tags":
            break
    if actor == "key":
        assert [op for op, _ in got] == ["tags"]
        return
    assert [op for op, _ in got] == ["posts", "tags"]
    record = got[0][1]["data"]["secrt_posts"]["record"]
    rest = _rest_post(live, actor)
    assert record["secret"] is None and record["hidden_tag"] is None
    assert record["hidden_tagId"] is None
    assert record["note"] is None and record["vault"] is None
    assert (record["author"] or {}).get("id") == rest["expand"].get("author", {}).get("id")


def test_a_key_revoked_after_the_graphql_init_can_start_nothing(live, graphql_socket):
    root = live.root()
    made = live.api.ok(
        "POST", "/api/x/api-keys", {"name": "gql", "collections": [], "actions": []}, token=root
    )
    live.tokens["gql_key"] = made["key"]
    ws = graphql_socket("gql_key")
    assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
    query = {"query": "{ secrt_vaultList { totalItems } }"}
    ws.send(json.dumps({"type": "subscribe", "id": "before", "payload": query}))
    first = json.loads(ws.recv(timeout=10))
    assert first["type"] == "next" and first["payload"]["data"]["secrt_vaultList"]["totalItems"]
    assert json.loads(ws.recv(timeout=10)) == {"type": "complete", "id": "before"}
    revoked = live.api.request("DELETE", f"/api/x/api-keys/{made['id']}", token=root)
    assert revoked.status_code == 204
    for op_id, payload in (("query", query), ("subscription", {"query": SUBSCRIPTIONS["vault"]})):
        ws.send(json.dumps({"type": "subscribe", "id": op_id, "payload": payload}))
        refused = json.loads(ws.recv(timeout=10))
        assert refused["type"] == "error" and refused["id"] == op_id
        assert refused["payload"][0]["extensions"]["status"] == 401
