"""The paths around the records: the OpenAPI document, webhook payloads, hooks routes,
scheduled jobs, push devices and the console. Each gives a non-superuser no more than
REST's records API does."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.test import override_settings

from tests.cast import PASSWORD
from tests.security.conftest import ATTACKERS, GUESTS

pytestmark = pytest.mark.django_db


def _status_for_superuser_only(actor: str) -> int:
    return 401 if actor in GUESTS else 403


# ---- OpenAPI ---------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ATTACKERS)
def test_openapi_is_superuser_only_by_default_like_the_collections_list(world, actor):
    assert world.get("/api/openapi.json", actor).status_code == _status_for_superuser_only(actor)
    assert world.get("/api/collections", actor).status_code == _status_for_superuser_only(actor)


@pytest.mark.parametrize("actor", [a for a in ATTACKERS if a != "key"])
def test_public_openapi_describes_only_what_non_superusers_can_reach(world, actor):
    """Made public, the document is what REST would let a non-superuser find out anyway:
    no superuser-only collection (its records API answers them 403 for everything), no
    hidden field, no password hash or tokenKey, no rule text."""
    made = world.api.patch(
        "/api/settings", json={"openapi": {"public": True}}, token=world.token("superuser")
    )
    assert made.status_code == 200, made.content
    response = world.get("/api/openapi.json", actor)
    assert response.status_code == 200
    text = response.content.decode()
    document = orjson.loads(response.content)
    assert "sec_vault" not in text and "_superusers" not in text
    assert "/api/collections/sec_posts/records" in document["paths"]
    assert "/api/collections/sec_notes/records" in document["paths"]
    assert "author = @request.auth.id" not in text  # rules are for superusers
    properties = {
        name: set(schema.get("properties", {}))
        for name, schema in document["components"]["schemas"].items()
    }
    assert {"title", "n", "author", "note", "vault"} <= properties["Record_sec_posts"]
    for name, names in properties.items():
        assert "tokenKey" not in names, name
        if not name.startswith(("Create_", "Update_")):  # a hidden field may be written
            assert not names & {"secret", "hidden_tag"}, name
    # superusers get everything
    su = world.get("/api/openapi.json", "superuser").content.decode()
    assert "sec_vault" in su and "secret" in su


# ---- webhooks -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ATTACKERS)
def test_only_superusers_configure_webhooks(world, actor):
    body = {"name": "x", "collection": "sec_notes", "events": ["create"], "url": "http://x.test/"}
    made = world.api.post("/api/webhooks", json=body, token=world.token(actor))
    assert made.status_code == _status_for_superuser_only(actor)
    assert world.get("/api/webhooks", actor).status_code == _status_for_superuser_only(actor)


def test_webhook_payloads_never_carry_password_hashes_or_token_keys(
    world, django_capture_on_commit_callbacks
):
    from baas.webhooks.models import Delivery

    su = world.token("superuser")
    for collection in ("sec_members", "users"):
        hook = world.api.post(
            "/api/webhooks",
            json={
                "name": f"{collection} events",
                "collection": collection,
                "events": ["create", "update", "delete", "auth.signin", "auth.signup"],
                "url": "http://127.0.0.1:9/hook",  # nothing listens: the payload is what counts
            },
            token=su,
        )
        assert hook.status_code == 200, hook.content
    body = {"email": "new@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
    new_password = {
        "password": "another-pass-1",
        "passwordConfirm": "another-pass-1",
        "oldPassword": PASSWORD,
    }
    user = {"email": "u2@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
    members = "/api/collections/sec_members"
    with django_capture_on_commit_callbacks(execute=True):
        made = world.api.post(f"{members}/records", json=body)
    assert made.status_code == 200, made.content
    member = made.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        signed = world.api.post(
            f"{members}/auth-with-password",
            json={"identity": "new@example.com", "password": PASSWORD},
        )
    assert signed.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        changed = world.api.patch(
            f"{members}/records/{member}", json=new_password, token=signed.json()["token"]
        )
    assert changed.status_code == 200, changed.content
    with django_capture_on_commit_callbacks(execute=True):
        assert world.api.post("/api/collections/users/records", json=user).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        gone = world.api.delete(f"{members}/records/{member}", token=su)
    assert gone.status_code == 204
    deliveries = list(Delivery.objects.all())
    events = sorted({d.event for d in deliveries})
    assert events == ["auth.signin", "auth.signup", "create", "delete", "update"]
    for delivery in deliveries:
        record = delivery.payload["record"]
        assert "password" not in record and "tokenKey" not in record, delivery.event
        text = orjson.dumps(delivery.payload).decode()
        assert "$argon2" not in text and "pbkdf2" not in text and "$2a$" not in text
        assert record.get("email")  # the superuser's view: the email is there


# ---- hooks routes ------------------------------------------------------------------------------

ROUTES = """
from baas.api.listing import Page
from baas.hooks import route

@route("GET", "/sec/notes")
def notes(ctx):
    notes = ctx.collection_named("sec_notes")
    rows, total = ctx.records.list_records(
        notes, ctx.caller, filter_text=ctx.request.GET.get("filter"), sort_text=None,
        page=Page(1, 30, False),
    )
    return {"ids": [r["id"] for r in rows], "total": total}

@route("GET", "/sec/notes/{id}")
def note(ctx):
    notes = ctx.collection_named("sec_notes")
    row = ctx.records.get_record(notes, ctx.params["id"], ctx.caller)
    return {"id": row["id"]}
"""


@pytest.fixture
def hook_routes(tmp_path: Path) -> Any:
    directory = tmp_path / "hooks"
    directory.mkdir()
    (directory / "routes.py").write_text(textwrap.dedent(ROUTES))
    with override_settings(BAAS_HOOKS_DIR=directory):
        yield directory


@pytest.mark.parametrize("actor", [*ATTACKERS, "owner"])
def test_hooks_routes_run_with_the_callers_rights(world, hook_routes, actor):
    ids = world.ids
    route = world.get("/api/hooks/sec/notes", actor)
    one = world.get(f"/api/hooks/sec/notes/{ids['alpha']}", actor)
    probe = world.get("/api/hooks/sec/notes", actor, filter="secret ~ 's3'")
    rest = world.get("/api/collections/sec_notes/records", actor)
    rest_one = world.get(f"/api/collections/sec_notes/records/{ids['alpha']}", actor)
    rest_probe = world.get("/api/collections/sec_notes/records", actor, filter="secret ~ 's3'")
    if actor == "key":  # scoped keys are for the records API only
        assert (route.status_code, one.status_code, probe.status_code) == (403, 403, 403)
        assert rest.status_code == rest_one.status_code == 403
        return
    assert route.status_code == 200
    assert route.json()["ids"] == [item["id"] for item in rest.json()["items"]]
    assert route.json()["total"] == rest.json()["totalItems"]
    assert one.status_code == rest_one.status_code
    assert probe.status_code == rest_probe.status_code
    assert rest_one.status_code == (200 if actor == "owner" else 404)
    assert rest_probe.status_code == 400


# ---- scheduled jobs, push devices, the console ------------------------------------------------


@pytest.mark.parametrize("actor", ATTACKERS)
def test_scheduled_jobs_are_superuser_only(world, actor):
    expected = _status_for_superuser_only(actor)
    assert world.get("/api/jobs", actor).status_code == expected
    made = world.api.post("/api/jobs", json={"name": "x"}, token=world.token(actor))
    assert made.status_code == expected


@pytest.mark.parametrize("actor", ATTACKERS)
def test_push_devices_are_each_users_own(world, actor):
    mine = world.api.post(
        "/api/push/devices",
        json={"token": "owner-device-token-0001", "platform": "fcm"},
        token=world.token("owner"),
    )
    assert mine.status_code == 200, mine.content
    listed = world.get("/api/push/devices", actor)
    if actor in GUESTS:
        assert listed.status_code == 401
    elif actor == "key":
        assert listed.status_code == 403
    else:
        assert listed.json() == []
        gone = world.api.delete(f"/api/push/devices/{mine.json()['id']}", token=world.token(actor))
        assert gone.status_code == 404
        forgot = world.api.delete(
            "/api/push/devices", json={"token": "owner-device-token-0001"}, token=world.token(actor)
        )
        assert forgot.status_code == 404
    assert [d["id"] for d in world.get("/api/push/devices", "owner").json()] == [mine.json()["id"]]
    sent = world.api.post(
        "/api/push/send", json={"user": world.cast.owner_id, "title": "t"}, token=world.token(actor)
    )
    assert sent.status_code == _status_for_superuser_only(actor)


@pytest.mark.parametrize("actor", [*ATTACKERS, "owner"])
def test_the_console_is_for_superusers_only(world, client, actor):
    headers = {"Authorization": world.token(actor)} if world.token(actor) else {}
    pages = (
        "/_/collections",
        "/_/collections/sec_notes",
        "/_/collections/sec_vault",
        "/_/collections/sec_notes/api",
    )
    for page in pages:
        response = client.get(page, headers=headers)
        if actor == "key":  # a scoped key is refused outside the records API
            assert response.status_code == 403, page
            continue
        assert response.status_code == 302 and response["Location"].startswith("/_/login"), page
    simulated = client.post(
        "/_/collections/sec_notes/simulate", {"rule": "listRule"}, headers=headers
    )
    assert simulated.status_code == (403 if actor == "key" else 302)
    # the console's helpers under /api/x/ (rule previews, view previews run SQL)
    for helper in ("/api/x/rules/check", "/api/x/rules/preview", "/api/x/views/preview"):
        body = {"query": "SELECT id, code FROM c_x", "collection": "sec_vault", "rule": ""}
        answered = world.api.post(helper, json=body, token=world.token(actor))
        expected = {"owner": 403, "other": 403, "key": 403}.get(actor, 401)
        assert answered.status_code == expected, helper
    # a user's password does not open it either
    login = client.post("/_/login", {"email": "owner@example.com", "password": PASSWORD})
    assert login.status_code == 400
    assert client.get("/_/collections/sec_notes").status_code == 302
