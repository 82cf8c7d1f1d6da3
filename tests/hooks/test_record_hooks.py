"""Record hooks through the REST API: changing, refusing, failing cleanly, after commit."""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.django_db

SLUGGER = """
from baas.hooks import HookError, on

@on("records.before_create", collection="posts")
def slug(ctx):
    ctx.record["slug"] = ctx.record["title"].lower().replace(" ", "-")

@on("records.before_update", collection="posts")
def keep_positive(ctx):
    if ctx.record["n"] < 0:
        raise HookError("n must not go negative.", status=403)
    ctx.record["slug"] = ctx.original["slug"] + "-edited"

@on("records.before_delete", collection="posts")
def keep_pinned(ctx):
    if ctx.record["title"] == "pinned":
        raise HookError("Pinned posts stay.")
"""


def test_a_before_create_hook_changes_the_record(api, posts, write_hook):
    write_hook("slugs.py", SLUGGER)
    response = api.post("/api/collections/posts/records", json={"title": "Hello World"})
    assert response.status_code == 200, response.content
    assert response.json()["slug"] == "hello-world"
    stored = api.get(f"/api/collections/posts/records/{response.json()['id']}").json()
    assert stored["slug"] == "hello-world"


def test_a_before_update_hook_sees_the_original_and_can_refuse(api, posts, write_hook):
    write_hook("slugs.py", SLUGGER)
    created = api.post("/api/collections/posts/records", json={"title": "A b", "n": 1}).json()
    url = f"/api/collections/posts/records/{created['id']}"
    updated = api.patch(url, json={"n": 2})
    assert updated.status_code == 200
    assert updated.json()["slug"] == "a-b-edited"
    refused = api.patch(url, json={"n": -1})
    assert refused.status_code == 403
    assert refused.json() == {"status": 403, "message": "n must not go negative.", "data": {}}
    assert api.get(url).json()["n"] == 2


def test_a_before_delete_hook_refuses_and_nothing_is_deleted(api, posts, write_hook):
    write_hook("slugs.py", SLUGGER)
    pinned = api.post("/api/collections/posts/records", json={"title": "pinned"}).json()
    refused = api.delete(f"/api/collections/posts/records/{pinned['id']}")
    assert refused.status_code == 400
    assert refused.json()["message"] == "Pinned posts stay."
    assert api.get(f"/api/collections/posts/records/{pinned['id']}").status_code == 200


def test_a_hook_change_is_validated_like_submitted_data(api, posts, write_hook):
    write_hook(
        "long.py",
        """
        from baas.hooks import on

        @on("records.before_update", collection="posts")
        def too_long(ctx):
            ctx.record["title"] = "x" * 80
        """,
    )
    created = api.post("/api/collections/posts/records", json={"title": "short"}).json()
    response = api.patch(f"/api/collections/posts/records/{created['id']}", json={"n": 3})
    assert response.status_code == 400
    assert response.json()["data"]["title"]["code"] == "validation_max_text_constraint"


def test_a_hook_that_raises_answers_the_envelope_and_is_logged(api, posts, write_hook, caplog):
    write_hook(
        "broken.py",
        """
        from baas.hooks import on

        @on("records.before_create")
        def broken(ctx):
            return 1 / 0
        """,
    )
    with caplog.at_level(logging.ERROR, logger="baas.hooks"):
        response = api.post("/api/collections/posts/records", json={"title": "x"})
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": 500,
        "message": "A server hook failed while processing the request.",
        "data": {},
    }
    assert "broken.py:broken failed" in caplog.text
    assert "ZeroDivisionError" in caplog.text
    assert api.get("/api/collections/posts/records").json()["totalItems"] == 0


def test_hooks_see_the_request_and_its_auth_record(api, cast, posts, write_hook):
    write_hook(
        "stamp.py",
        """
        from baas.hooks import on

        @on("records.before_create", collection="posts")
        def stamp(ctx):
            who = ctx.auth_record["email"] if ctx.auth_record else "guest"
            ctx.record["slug"] = who + " via " + ctx.request.headers.get("X-App", "?")
        """,
    )
    mine = api.post(
        "/api/collections/posts/records",
        json={"title": "t"},
        token=cast.owner,
        headers={"X-App": "ios"},
    )
    assert mine.json()["slug"] == "owner@example.com via ios"
    theirs = api.post("/api/collections/posts/records", json={"title": "t"})
    assert theirs.json()["slug"] == "guest via ?"


def test_after_hooks_run_after_commit_and_write_through_the_record_service(
    api, superuser_token, posts, make_collection, write_hook, django_capture_on_commit_callbacks
):
    make_collection(
        {
            "name": "audit",
            "type": "base",
            **{"listRule": ""},
            "fields": [{"name": "what", "type": "text"}],
        }
    )
    write_hook(
        "audit.py",
        """
        from baas.collections.records.payload import Submission
        from baas.hooks import on

        @on("records.after_create", collection="posts")
        @on("records.after_delete", collection="posts")
        def audit(ctx):
            audit = ctx.collection_named("audit")
            what = ctx.event + " " + ctx.record["title"]
            ctx.records.create_record(audit, Submission(values={"what": what}), ctx.system)
        """,
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/collections/posts/records", json={"title": "t1"}).json()
    with django_capture_on_commit_callbacks(execute=True):
        api.delete(f"/api/collections/posts/records/{created['id']}")
    listed = api.get("/api/collections/audit/records", token=superuser_token)
    items = sorted(listed.json()["items"], key=lambda item: item["what"])
    assert [item["what"] for item in items] == [
        "records.after_create t1",
        "records.after_delete t1",
    ]


def test_hooks_registered_from_python_code_apply_beside_the_files(api, posts, write_hook):
    """A decorator used outside a hooks file (an app's ready(), say) registers for good."""
    from baas.hooks import on
    from baas.hooks.api import PERMANENT

    write_hook("slugs.py", SLUGGER)

    @on("records.before_create", collection="posts")
    def count(ctx):
        ctx.record["n"] = 7

    try:
        created = api.post("/api/collections/posts/records", json={"title": "Both Ways"}).json()
    finally:
        PERMANENT.handlers.clear()
    assert (created["slug"], created["n"]) == ("both-ways", 7)
