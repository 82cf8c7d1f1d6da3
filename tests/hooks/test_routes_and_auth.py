"""Custom routes under /api/hooks/, the auth.before hook, job functions and enqueue."""

from __future__ import annotations

import logging

import pytest

from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db

ROUTES = """
from django.http import HttpResponse

from baas.api.errors import Forbidden
from baas.hooks import on, route

@route("GET", "/hello/{name}")
def hello(ctx):
    who = ctx.auth_record["email"] if ctx.auth_record else "guest"
    return {"hello": ctx.params["name"], "caller": who}

@route("POST", "/posts/count")
def count(ctx):
    if not ctx.auth.is_superuser:
        raise Forbidden("Superusers only.")
    from baas.api.listing import Page
    posts = ctx.collection_named("posts")
    rows, total = ctx.records.list_records(
        posts, ctx.caller, filter_text=ctx.body.get("filter"), sort_text=None, page=Page(1, 1, False)
    )
    return {"total": total}

@route("GET", "/plain")
def plain(ctx):
    return HttpResponse("just text", content_type="text/plain")

@route("DELETE", "/nothing")
def nothing(ctx):
    return None

@route("GET", "/boom")
def boom(ctx):
    raise RuntimeError("secret detail")
"""


def test_a_custom_route_answers_with_params_and_the_caller(api, cast, write_hook):
    write_hook("routes.py", ROUTES)
    response = api.get("/api/hooks/hello/world", token=cast.owner)
    assert response.status_code == 200
    assert response.json() == {"hello": "world", "caller": "owner@example.com"}
    assert api.get("/api/hooks/hello/you").json() == {"hello": "you", "caller": "guest"}


def test_a_custom_route_uses_the_record_service_with_the_callers_rules(
    api, cast, posts, write_hook
):
    write_hook("routes.py", ROUTES)
    for title in ("a", "b", "c"):
        api.post("/api/collections/posts/records", json={"title": title})
    counted = api.post(
        "/api/hooks/posts/count", json={"filter": "title != 'a'"}, token=cast.superuser
    )
    assert counted.json() == {"total": 2}
    refused = api.post("/api/hooks/posts/count", json={}, token=cast.owner)
    assert refused.status_code == 403
    assert refused.json() == {"status": 403, "message": "Superusers only.", "data": {}}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/hooks/plain", 200),
        ("DELETE", "/api/hooks/nothing", 204),
        ("GET", "/api/hooks/missing", 404),
        ("POST", "/api/hooks/plain", 404),
        ("GET", "/api/hooks/boom", 500),
    ],
)
def test_route_answers(api, write_hook, method, path, status):
    write_hook("routes.py", ROUTES)
    response = api.request(method, path)
    assert response.status_code == status
    if status >= 400:
        assert response.json()["status"] == status
        assert "secret detail" not in response.content.decode()


def test_a_failing_route_is_logged_with_its_traceback(api, write_hook, caplog):
    write_hook("routes.py", ROUTES)
    with caplog.at_level(logging.ERROR, logger="baas.hooks"):
        api.get("/api/hooks/boom")
    assert "routes.py:boom failed" in caplog.text
    assert "RuntimeError: secret detail" in caplog.text


def test_a_hooks_file_that_does_not_load_is_logged_and_the_others_still_work(
    api, write_hook, caplog
):
    write_hook("routes.py", ROUTES)
    write_hook("broken.py", "def oops(:\n")
    with caplog.at_level(logging.ERROR, logger="baas.hooks"):
        assert api.get("/api/hooks/hello/x").status_code == 200
    assert "broken.py failed to load" in caplog.text


def test_an_auth_before_hook_can_refuse_a_sign_in(api, cast, write_hook):
    write_hook(
        "gate.py",
        """
        from baas.hooks import HookError, on

        @on("auth.before", collection="users")
        def gate(ctx):
            if ctx.body.get("identity", "").startswith("other@"):
                raise HookError("Sign-in is closed for you.", status=403)
        """,
    )
    url = "/api/collections/users/auth-with-password"
    refused = api.post(url, json={"identity": "other@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json()["message"] == "Sign-in is closed for you."
    allowed = api.post(url, json={"identity": "owner@example.com", "password": PASSWORD})
    assert allowed.status_code == 200
    assert allowed.json()["token"]


def test_a_hook_enqueues_a_job_function_that_runs_after_commit(
    api, superuser_token, posts, write_hook, django_capture_on_commit_callbacks
):
    write_hook(
        "queue.py",
        """
        from baas.collections.records.payload import Submission
        from baas.hooks import job, on

        @on("records.after_create", collection="posts")
        def later(ctx):
            ctx.enqueue("count_up", id=ctx.record["id"])

        @job("count_up")
        def count_up(ctx):
            posts = ctx.collection_named("posts")
            ctx.records.update_record(
                posts, ctx.payload["id"], Submission(values={"n": 41 + 1}), ctx.system
            )
        """,
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/collections/posts/records", json={"title": "t"}).json()
    assert api.get(f"/api/collections/posts/records/{created['id']}").json()["n"] == 42


def test_a_hooks_file_is_an_ordinary_module(api, write_hook):
    """Dataclasses and string annotations need the module in sys.modules while it loads."""
    write_hook(
        "shapes.py",
        """
        from __future__ import annotations

        from dataclasses import asdict, dataclass

        from baas.hooks import route

        @dataclass
        class Point:
            x: int
            y: int

        @route("GET", "/point")
        def point(ctx):
            return asdict(Point(1, 2))
        """,
    )
    assert api.get("/api/hooks/point").json() == {"x": 1, "y": 2}
