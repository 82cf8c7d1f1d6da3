"""The record fast path (``baas.collections.api.fast``) answers exactly as Django's full stack.

Each case runs twice through ``baas.server.Router``: with the fast path, and with it
switched off (``router.fast = None``, as ``BAAS_FAST_PATH=0`` leaves it). Status, body,
every header and the request log entry (but its ``execTime``) must be the same, and the
fast path must have been taken where it applies (its ``taken`` counter). The bridge's
pool's work runs in the test's thread here, inside the test's transaction.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import resolve

from baas.bridge import build_environ
from baas.collections.api import fast
from baas.logs import writer
from baas.server import Router
from tests.foundation.test_bridge import http_scope

pytestmark = pytest.mark.django_db


VIEW_RULE = "published = true || author = @request.auth.id"


@pytest.fixture
def world(api: Any, cast: Any, make_collection: Any) -> dict[str, Any]:
    make_collection(
        {
            "name": "posts",
            "listRule": VIEW_RULE,
            "viewRule": VIEW_RULE,
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "published", "type": "bool"},
                {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_"},
                {"name": "internal", "type": "text", "hidden": True},
            ],
        }
    )
    make_collection(
        {
            "name": "titles",
            "type": "view",
            "viewRule": "",
            "viewQuery": "SELECT id, title FROM posts",
        }
    )
    for row in (
        {"id": "pubaaaaaaaaaaaa", "title": "Hi", "published": True, "author": cast.owner_id},
        {"id": "draftaaaaaaaaaa", "title": "Mine", "published": False, "author": cast.owner_id},
    ):
        made = api.post("/api/collections/posts/records", json=row, token=cast.superuser)
        assert made.status_code == 200, made.content
    keys = {}
    for name, collections in (("all", []), ("posts", ["posts"]), ("users", ["users"])):
        made = api.post(
            "/api/x/api-keys",
            json={"name": name, "collections": collections, "actions": []},
            token=cast.superuser,
        )
        assert made.status_code == 200, made.content
        keys[name] = made.json()["key"]
    tokens = {
        "guest": None,
        "owner": cast.owner,
        "other": cast.other,
        "superuser": cast.superuser,
        "key": keys["all"],
        "key-posts": keys["posts"],
        "key-users": keys["users"],
        "forged": cast.owner[:-4] + "abcd",
        "raw": cast.owner,  # without "Bearer "
    }
    return {"tokens": tokens, "owner_id": cast.owner_id}


def make_router() -> Router:
    app = Router(realtime_module="tests.foundation.no_such_module")
    app.load()
    return app


def answer(app: Router, scope: dict[str, Any]) -> list[dict[str, Any]]:
    """What the bridge sends for ``scope``: its pool's work (``pick``, then ``_run``) done
    in this thread, inside the test's transaction (the database connection is per
    thread and per asyncio context), which the connection housekeeping must not close
    (Django's test client unhooks it the same way)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    assert app.http is not None
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = app.http._run(build_environ(scope, io.BytesIO(b"")), app.pick(scope))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return [
        {"type": "http.response.start", "status": result.status, "headers": result.headers},
        {"type": "http.response.body", "body": result.body},
    ]


def _ask(app: Router, path: str, query: bytes, headers: list) -> tuple[list, list]:
    entries: list = []
    real_add = writer.add

    def add(level: int, message: str, data: dict[str, Any]) -> None:
        entries.append((level, message, {k: v for k, v in data.items() if k != "execTime"}))
        real_add(level, message, data)

    writer.add = add  # type: ignore[assignment]
    try:
        sent = answer(app, http_scope("GET", path, query, headers))
    finally:
        writer.add = real_add  # type: ignore[assignment]
    return sent, entries


def both(app: Router, path: str, query: bytes = b"", headers: list | None = None) -> list:
    """Django's answer and the fast path's; asserts they are the same; the answer."""
    quick = app.fast
    assert isinstance(quick, fast.RecordFastPath)
    app.fast = None
    full, full_log = _ask(app, path, query, headers or [])
    app.fast = quick
    taken = quick.taken
    fast_sent, fast_log = _ask(app, path, query, headers or [])
    assert fast_sent[0]["status"] == full[0]["status"]
    assert fast_sent[1]["body"] == full[1]["body"]
    assert fast_sent[0]["headers"] == full[0]["headers"]
    assert fast_log == full_log
    return [fast_sent, quick.taken - taken]


def auth(token: str | None, bearer: bool = True) -> list:
    if token is None:
        return []
    return [(b"authorization", (f"Bearer {token}" if bearer else token).encode())]


CASES = [
    # (who, path, query, extra headers, status)
    ("guest", "/api/collections/posts/records/pubaaaaaaaaaaaa", b"", [], 200),
    ("guest", "/api/collections/posts/records/draftaaaaaaaaaa", b"", [], 404),
    ("owner", "/api/collections/posts/records/draftaaaaaaaaaa", b"", [], 200),
    ("raw", "/api/collections/posts/records/draftaaaaaaaaaa", b"", [], 200),
    ("other", "/api/collections/posts/records/draftaaaaaaaaaa", b"", [], 404),
    ("superuser", "/api/collections/posts/records/draftaaaaaaaaaa", b"", [], 200),
    ("key", "/api/collections/posts/records/draftaaaaaaaaaa", b"", [], 200),
    ("key-posts", "/api/collections/posts/records/draftaaaaaaaaaa", b"", [], 200),
    ("key-users", "/api/collections/posts/records/draftaaaaaaaaaa", b"", [], 403),
    ("forged", "/api/collections/posts/records/draftaaaaaaaaaa", b"", [], 404),
    ("guest", "/api/collections/posts/records/nosuchrecord123", b"", [], 404),
    ("guest", "/api/collections/nosuch/records/pubaaaaaaaaaaaa", b"", [], 404),
    ("guest", "/api/collections/posts/records/pubaaaaaaaaaaaa", b"fields=id,title", [], 200),
    ("guest", "/api/collections/posts/records/pubaaaaaaaaaaaa", b"expand=author", [], 200),
    ("owner", "/api/collections/posts/records/pubaaaaaaaaaaaa", b"expand=author", [], 200),
    ("guest", "/api/collections/posts/records/pubaaaaaaaaaaaa", b"fields=", [], 200),
    ("superuser", "/api/collections/posts/records/pubaaaaaaaaaaaa", b"", [], 200),
    (
        "guest",
        "/api/collections/posts/records/pubaaaaaaaaaaaa",
        b"",
        [(b"origin", b"https://app.example.com"), (b"referer", b"https://app.example.com/x")],
        200,
    ),
    ("guest", "/api/collections/posts/records/pubaaaaaaaaaaaa", b"", [(b"accept", b"*/*")], 200),
    (
        "owner",
        "/api/collections/posts/records/draftaaaaaaaaaa",
        b"",
        [(b"accept", b"application/json")],
        200,
    ),
    ("guest", "/api/collections/posts/records/pubaaaaaaaaaaaa", b"", [(b"host", b"x y")], 400),
    ("guest", "/api/collections/titles/records/pubaaaaaaaaaaaa", b"", [], 200),
    ("owner", "/api/collections/users/records/OWNER", b"", [], 200),
    ("other", "/api/collections/users/records/OWNER", b"", [], 404),
    ("superuser", "/api/collections/users/records/OWNER", b"", [], 200),
]


def test_the_fast_path_answers_as_django_does(world):
    app = make_router()
    for who, path, query, headers, status in CASES:
        path = path.replace("OWNER", world["owner_id"])
        sent, taken = both(app, path, query, auth(world["tokens"][who]) + headers)
        assert (sent[0]["status"], taken) == (status, 1), (who, path, query, sent)
    # the token without "Bearer " is the same caller
    sent, _ = both(app, CASES[2][1], b"", auth(world["tokens"]["owner"], bearer=False))
    assert sent[0]["status"] == 200


LIST = "/api/collections/posts/records"
LIST_CASES = [
    # (who, path, query, status)
    ("guest", LIST, b"", 200),
    ("owner", LIST, b"", 200),
    ("other", LIST, b"sort=-title&perPage=1&page=2", 200),
    ("superuser", LIST, b"filter=published%3Dfalse&skipTotal=1", 200),
    ("owner", LIST, b"filter=title~'Mi'&expand=author&fields=id,title,expand", 200),
    ("guest", LIST, b"filter=nosuchfield%3D1", 400),
    ("guest", LIST, b"perPage=x", 400),
    ("guest", LIST, b"skipTotal=maybe", 400),
    ("guest", LIST, b"search=Hi", 400),  # no searchable fields
    ("key-posts", LIST, b"", 200),
    ("key-users", LIST, b"", 403),
    ("forged", LIST, b"", 200),
    ("guest", "/api/collections/nosuch/records", b"", 404),
    ("guest", "/api/collections/titles/records", b"", 403),  # no listRule: superusers only
    ("superuser", "/api/collections/titles/records", b"", 200),
    ("owner", "/api/collections/users/records", b"", 200),
    ("superuser", "/api/collections/users/records", b"sort=email", 200),
]


def test_lists_too(world):
    app = make_router()
    for who, path, query, status in LIST_CASES:
        sent, taken = both(app, path, query, auth(world["tokens"][who]))
        assert (sent[0]["status"], taken) == (status, 1), (who, path, query, sent)


def test_other_requests_go_through_django(world):
    app = make_router()
    quick = app.fast
    assert isinstance(quick, fast.RecordFastPath)
    for method, path, query in (
        ("GET", "/api/collections/posts/records/pubaaaaaaaaaaaa/", b""),  # Django's 404
        ("GET", "/api/collections/posts/records/", b""),
        ("GET", "/api/collections/posts/records", b"format=json"),
        ("POST", "/api/collections/posts/records", b""),
        ("GET", "/api/collections/posts/records/pubaaaaaaaaaaaa", b"filter=x"),
        ("HEAD", "/api/collections/posts/records/pubaaaaaaaaaaaa", b""),
        ("DELETE", "/api/collections/posts/records/pubaaaaaaaaaaaa", b""),
    ):
        assert app.pick(http_scope(method, path, query)) is None, (method, path, query)
    assert app.pick(http_scope("GET", CASES[0][1], b"fields=id&expand=author")) is quick
    assert app.pick(http_scope("GET", LIST, b"page=2&perPage=5&filter=a%3D1&sort=-b")) is quick
    # the routes it takes are the views Django's URL conf names for those paths
    for path, name in ((LIST, "RecordListView"), (CASES[0][1], "RecordDetailView")):
        assert resolve(path).func.view_class.__name__ == name
    sent, taken = both(app, CASES[0][1] + "/")
    assert (sent[0]["status"], taken) == (404, 0)
    # other Accept values: DRF's content negotiation decides (here: 406)
    for accept, status in ((b"text/html", 406), (b"text/html, application/json", 200)):
        sent, taken = both(app, CASES[0][1], b"", [(b"accept", accept)])
        assert (sent[0]["status"], taken) == (status, 0)


def test_a_registered_hook_or_a_restore_is_answered_as_by_django(world, monkeypatch):
    from baas.hooks import on
    from baas.hooks.api import PERMANENT

    app = make_router()

    @on("records.before_create", collection="posts")
    def noop(ctx: Any) -> None:
        pass

    try:
        sent, taken = both(app, CASES[0][1])
    finally:
        PERMANENT.handlers.clear()
    assert (sent[0]["status"], taken) == (200, 0)  # Django's whole way

    monkeypatch.setattr("baas.backups.middleware.is_stale", lambda: True)
    sent, taken = both(app, CASES[0][1])
    assert (sent[0]["status"], taken) == (503, 1)
    assert dict(sent[0]["headers"])[b"retry-after"] == b"2"


def test_the_switch_and_an_unknown_middleware_turn_it_off(settings, monkeypatch, tmp_path):
    from baas import config

    assert settings.BAAS_FAST_PATH is True  # settings.py carries baas.config's value
    monkeypatch.setenv("BAAS_FAST_PATH", "0")
    monkeypatch.setenv("BAAS_DIR", str(tmp_path))  # load() may write a secret there
    assert config.load().fast_path is False
    assert fast.enabled()
    settings.BAAS_FAST_PATH = False
    assert not fast.enabled()
    settings.BAAS_FAST_PATH = True
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "some.other.Middleware"]
    assert not fast.enabled()


def test_a_drf_policy_on_the_record_views_turns_it_off(monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    from baas.collections.api.records import RecordDetailView, RecordListView

    assert fast.enabled()
    for view in (RecordDetailView, RecordListView):
        for attr, value in (
            ("throttle_classes", [AnonRateThrottle]),
            ("permission_classes", [object]),
            ("authentication_classes", [object]),
            ("renderer_classes", []),
        ):
            with monkeypatch.context() as patched:
                patched.setattr(view, attr, value)
                assert not fast.enabled(), (view, attr)
        with monkeypatch.context() as patched:
            patched.setattr(view, "initial", lambda self, request, *a, **k: None)
            assert not fast.enabled(), view
    assert fast.enabled()
