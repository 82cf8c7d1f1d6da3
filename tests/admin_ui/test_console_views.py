"""Console pages through Django's test client: sign-in, CSRF, first run, and that each
page is backed by the API (errors from the API show up in the page)."""

from __future__ import annotations

import pytest
from django.test import Client

from baas.admin_ui.session import TOKEN_KEY
from tests.cast import PASSWORD


@pytest.fixture
def console(client, superuser_token):
    """A test client signed in to the console as root@example.com."""
    response = client.post(
        "/_/login", {"email": "root@example.com", "password": PASSWORD, "next": "/_/collections"}
    )
    assert response.status_code == 302, response.content
    assert response["Location"] == "/_/collections"
    return client


def test_pages_need_a_signed_in_superuser(client, superuser_token):
    response = client.get("/_/collections/users")
    assert response.status_code == 302
    assert response["Location"] == "/_/login?next=/_/collections/users"


def test_htmx_requests_are_redirected_with_a_header(client, superuser_token):
    response = client.get("/_/collections", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/_/login")


def test_wrong_password_is_one_message_and_no_session(client, superuser_token):
    response = client.post("/_/login", {"email": "root@example.com", "password": "nope"})
    assert response.status_code == 400
    assert b"Invalid email or password." in response.content
    assert TOKEN_KEY not in client.session


def test_a_user_token_is_not_a_console_session(client, cast):
    session = client.session
    session[TOKEN_KEY] = cast.owner
    session.save()
    assert client.get("/_/collections").status_code == 302


def test_signing_out_ends_the_session(console):
    assert console.get("/_/collections").status_code == 200
    assert console.post("/_/logout").status_code == 302
    assert console.get("/_/collections").status_code == 302


def test_a_revoked_token_signs_the_console_out(console, api, superuser_token):
    from baas.auth.superusers import upsert_superuser

    upsert_superuser("root@example.com", "a-new-password-456")  # rotates tokenKey
    assert console.get("/_/collections").status_code == 302


def test_posts_without_the_csrf_token_are_refused(superuser_token):
    strict = Client(enforce_csrf_checks=True)
    page = strict.get("/_/login")
    assert page.status_code == 200
    refused = strict.post("/_/login", {"email": "root@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    token = page.cookies["csrftoken"].value
    accepted = strict.post(
        "/_/login",
        {"email": "root@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert accepted.status_code == 302


def test_first_run_shows_the_cli_command_and_a_form_only_on_loopback(db, client):
    assert client.get("/_/login")["Location"] == "/_/install"
    local = client.get("/_/install")
    assert b"baas superuser upsert EMAIL PASSWORD" in local.content
    assert b'name="passwordConfirm"' in local.content
    remote = client.get("/_/install", REMOTE_ADDR="203.0.113.9")
    assert b"baas superuser upsert EMAIL PASSWORD" in remote.content
    assert b'name="passwordConfirm"' not in remote.content
    proxied = client.get("/_/install", headers={"X-Forwarded-For": "203.0.113.9"})
    assert b'name="passwordConfirm"' not in proxied.content
    refused = client.post(
        "/_/install",
        {
            "email": "first@example.com",
            "password": "first-pass-123",
            "passwordConfirm": "first-pass-123",
        },
        REMOTE_ADDR="203.0.113.9",
    )
    assert refused.status_code == 200
    assert client.get("/_/login")["Location"] == "/_/install"  # still nobody


def test_first_run_form_creates_the_superuser_and_signs_in(db, client):
    mismatch = client.post(
        "/_/install",
        {"email": "first@example.com", "password": "first-pass-123", "passwordConfirm": "other"},
    )
    assert b"Passwords don" in mismatch.content
    done = client.post(
        "/_/install",
        {
            "email": "first@example.com",
            "password": "first-pass-123",
            "passwordConfirm": "first-pass-123",
        },
    )
    assert done.status_code == 302
    assert client.get("/_/collections").status_code == 200
    assert client.get("/_/install")["Location"] == "/_/login"  # only while there is none


def test_creating_a_collection_shows_the_apis_field_errors(console):
    response = console.post(
        "/_/new-collection",
        {
            "type": "base",
            "name": "bad name!",
            "f": ["new1"],
            "new1.type": "text",
            "new1.name": "title",
            "listRule.locked": "on",
            "viewRule.locked": "on",
            "createRule.locked": "on",
            "updateRule.locked": "on",
            "deleteRule.locked": "on",
        },
    )
    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.content
    assert b"Failed to create collection." in response.content


def test_creating_a_collection_from_the_form(console, api, superuser_token):
    response = console.post(
        "/_/new-collection",
        {
            "type": "base",
            "name": "tasks",
            "f": ["new1", "new2", "new3"],
            "new1.type": "text",
            "new1.name": "title",
            "new1.required": "on",
            "new1.max": "120",
            "new2.type": "select",
            "new2.name": "state",
            "new2.values": "todo, done",
            "new2.maxSelect": "1",
            "new3.type": "number",
            "new3.name": "points",
            "new3.min": "",
            "listRule": "",
            "viewRule": "",
            "createRule.locked": "on",
            "updateRule.locked": "on",
            "deleteRule": 'state = "done"',
            "indexes": "CREATE INDEX idx_title ON tasks (title)",
        },
    )
    assert response.status_code == 302, response.content
    data = api.get("/api/collections/tasks", token=superuser_token).json()
    fields = {f["name"]: f for f in data["fields"]}
    assert fields["title"]["required"] is True and fields["title"]["max"] == 120
    assert fields["state"]["values"] == ["todo", "done"]
    assert fields["points"]["min"] is None
    assert data["listRule"] == "" and data["createRule"] is None
    assert data["deleteRule"] == 'state = "done"'
    assert len(data["indexes"]) == 1


@pytest.mark.parametrize(
    "rule, expected",
    [
        ("title != ''", b"Valid rule"),
        ("", b"everyone"),
        ("nope = 1", "✗".encode()),
        ("title = ", "✗".encode()),
    ],
)
def test_live_rule_check(console, make_collection, rule, expected):
    make_collection({"name": "checked", "fields": [{"name": "title", "type": "text"}]})
    response = console.post(
        "/_/collections/checked/check-rule?rule=listRule",
        {"name": "checked", "listRule": rule},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert expected in response.content


def test_the_rule_check_sees_unsaved_fields(console, make_collection):
    make_collection({"name": "drafty", "fields": [{"name": "title", "type": "text"}]})
    response = console.post(
        "/_/collections/drafty/check-rule?rule=listRule",
        {
            "name": "drafty",
            "f": ["new1"],
            "new1.type": "number",
            "new1.name": "score",
            "listRule": "score > 1",
        },
    )
    assert b"Valid rule" in response.content


def test_record_form_round_trip(console, api, make_collection, superuser_token):
    make_collection(
        {
            "name": "things",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "count", "type": "number"},
                {"name": "on", "type": "bool"},
                {"name": "when", "type": "date"},
                {"name": "data", "type": "json"},
                {"name": "where", "type": "geoPoint"},
                {"name": "kinds", "type": "select", "values": ["a", "b", "c"], "maxSelect": 2},
            ],
        }
    )
    bad = console.post(
        "/_/collections/things/records/new",
        {"title.present": "1", "title": "x", "data.present": "1", "data": "{nope"},
    )
    assert bad.status_code == 400
    assert b"Invalid JSON" in bad.content
    created = console.post(
        "/_/collections/things/records/new",
        {
            "title.present": "1", "title": "first",
            "count.present": "1", "count": "2.5",
            "on.present": "1", "on": "on",
            "when.present": "1", "when": "2026-01-02T03:04",
            "data.present": "1", "data": '{"a": [1, 2]}',
            "where.present": "1", "where.lon": "13.4", "where.lat": "52.5",
            "kinds.present": "1", "kinds": ["a", "c"],
        },
    )  # fmt: skip
    assert created.status_code == 302, created.content
    record_id = created["Location"].rsplit("/", 1)[1]
    row = api.get(f"/api/collections/things/records/{record_id}", token=superuser_token).json()
    assert row["count"] == 2.5 and row["on"] is True
    assert row["when"] == "2026-01-02 03:04:00.000Z"
    assert row["data"] == {"a": [1, 2]} and row["where"] == {"lon": 13.4, "lat": 52.5}
    assert row["kinds"] == ["a", "c"]
    page = console.get(f"/_/collections/things/records/{record_id}")
    assert b'value="2026-01-02T03:04:00"' in page.content
    cleared = console.post(
        f"/_/collections/things/records/{record_id}",
        {"on.present": "1", "kinds.present": "1", "title.present": "1", "title": "first"},
    )
    assert cleared.status_code == 302
    row = api.get(f"/api/collections/things/records/{record_id}", token=superuser_token).json()
    assert row["on"] is False and row["kinds"] == [] and row["count"] == 2.5


def test_deleting_a_collection_names_the_record_count_and_needs_the_name(
    console, api, make_collection, superuser_token
):
    make_collection({"name": "doomed", "listRule": "", "fields": [{"name": "t", "type": "text"}]})
    for i in range(3):
        api.post("/api/collections/doomed/records", json={"t": str(i)}, token=superuser_token)
    page = console.get("/_/collections/doomed/delete")
    assert b"its <strong>3 records</strong>" in page.content
    kept = console.post("/_/collections/doomed/delete", {"confirm_name": "wrong"})
    assert kept.status_code == 400
    assert api.get("/api/collections/doomed", token=superuser_token).status_code == 200
    gone = console.post("/_/collections/doomed/delete", {"confirm_name": "doomed"})
    assert gone.status_code == 302
    assert api.get("/api/collections/doomed", token=superuser_token).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/_/collections",
        "/_/new-collection?type=auth",
        "/_/new-collection?type=view",
        "/_/collections/users",
        "/_/collections/users/edit",
        "/_/collections/users/auth",
        "/_/collections/users/api",
        "/_/collections/users/api?lang=dart",
        "/_/collections/users/api?lang=curl",
        "/_/collections/users/records/new",
        "/_/settings",
        "/_/settings/mail",
        "/_/settings/storage",
        "/_/settings/backups",
        "/_/settings/batch",
        "/_/settings/ratelimits",
        "/_/settings/access",
        "/_/settings/logs",
        "/_/logs",
    ],
)
def test_every_page_renders(console, path):
    response = console.get(path)
    assert response.status_code == 200, response.content[:500]
    assert b"<h1>" in response.content


def test_an_unknown_collection_is_an_html_404(console):
    response = console.get("/_/collections/nope")
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_secrets_are_never_rendered(console, api, superuser_token):
    api.patch(
        "/api/settings",
        json={"smtp": {"password": "smtp-pass-123"}, "s3": {"secret": "s3-secret-456"}},
        token=superuser_token,
    )
    for section in ("mail", "storage", "backups"):
        content = console.get(f"/_/settings/{section}").content
        assert b"smtp-pass-123" not in content and b"s3-secret-456" not in content
    saved = console.post(
        "/_/settings/mail", {"enabled": "on", "host": "mail.local", "port": "2525", "password": ""}
    )
    assert saved.status_code == 302
    from baas.settings_api.service import current, forget

    forget()
    assert current()["smtp"]["password"] == "smtp-pass-123"  # blank kept the stored one


def test_api_preview_uses_the_schema_and_rules(console, make_collection):
    make_collection(
        {
            "name": "articles",
            "listRule": "",
            "createRule": '@request.auth.id != ""',
            "fields": [
                {"name": "headline", "type": "text"},
                {"name": "kind", "type": "select", "values": ["news", "opinion"]},
            ],
        }
    )
    js = console.get("/_/collections/articles/api").content.decode()
    assert "pb.collection(&#x27;articles&#x27;).create(data)" in js
    assert "&quot;headline&quot;: &quot;example&quot;" in js
    assert "&quot;kind&quot;: &quot;news&quot;" in js
    assert "Anyone, guests included." in js
    assert "Callers matching: @request.auth.id != &quot;&quot;" in js
    assert "Only superusers (the rule is locked)." in js
    dart = console.get("/_/collections/articles/api?lang=dart").content.decode()
    assert "final record = await pb.collection(&#x27;articles&#x27;).create(body:" in dart
    curl = console.get("/_/collections/articles/api?lang=curl").content.decode()
    assert "curl -X POST" in curl


def test_email_template_preview_fills_placeholders(console):
    response = console.post(
        "/_/collections/users/template-preview?template=verificationTemplate",
        {
            "verificationTemplate.subject": "Verify for {APP_NAME}",
            "verificationTemplate.body": "<p>Hi {RECORD:email}, {APP_URL}/confirm/{TOKEN}</p>",
        },
    )
    content = response.content.decode()
    assert "Verify for Acme" in content
    assert "user@example.com" in content and "SAMPLE_TOKEN" in content
    assert 'sandbox=""' in content  # the body runs in a sandboxed frame


def test_auth_options_save_through_the_api(console, api, superuser_token):
    page = console.get("/_/collections/users/auth").content.decode()
    assert 'name="identityFields" value="email" checked' in page
    response = console.post(
        "/_/collections/users/auth",
        {
            "passwordAuth.enabled": "on",
            "identityFields": ["email"],
            "otp.enabled": "on",
            "otp.duration": "300",
            "otp.length": "6",
            "mfa.duration": "600",
            "authRule": "verified = true",
            "manageRule.locked": "on",
            "authToken.duration": "3600",
            "verificationToken.duration": "86400",
            "passwordResetToken.duration": "1800",
            "emailChangeToken.duration": "1800",
            "fileToken.duration": "180",
            "verificationTemplate.subject": "Hello {APP_NAME}",
            "verificationTemplate.body": "<p>{TOKEN}</p>",
        },
    )
    assert response.status_code == 302, response.content
    data = api.get("/api/collections/users", token=superuser_token).json()
    assert data["otp"]["enabled"] is True and data["otp"]["length"] == 6
    assert data["authRule"] == "verified = true" and data["manageRule"] is None
    assert data["authToken"]["duration"] == 3600
    assert data["verificationTemplate"]["subject"] == "Hello {APP_NAME}"
    bad = console.post(
        "/_/collections/users/auth",
        {"identityFields": ["name"], "authToken.duration": "3600", "passwordAuth.enabled": "on"},
    )
    assert bad.status_code == 400
    assert b"must have a UNIQUE index" in bad.content


def test_view_query_preview_and_rule_simulator_fragments(console, api, make_collection, cast):
    make_collection(
        {
            "name": "memos",
            "listRule": "owner = @request.auth.id",
            "fields": [
                {"name": "text", "type": "text"},
                {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"},
            ],
        }
    )
    for owner in (cast.owner_id, cast.other_id):
        api.post(
            "/api/collections/memos/records",
            json={"text": f"by {owner}", "owner": owner},
            token=cast.superuser,
        )
    preview = console.post(
        "/_/collections/-/view-preview",
        {"name": "memo_texts", "viewQuery": "SELECT id, text FROM memos"},
    )
    assert preview.status_code == 200
    assert b"2 rows" in preview.content and b"by " in preview.content
    broken = console.post("/_/collections/-/view-preview", {"viewQuery": "SELECT nope FROM"})
    assert b"notice err" in broken.content
    users = console.get("/_/collections/memos/sim-users", {"q": "owner@"})
    assert f"users:{cast.owner_id}".encode() in users.content
    assert f"users:{cast.other_id}".encode() not in users.content
    as_owner = console.post(
        "/_/collections/memos/simulate",
        {"sim_user": f"users:{cast.owner_id}", "listRule": "owner = @request.auth.id"},
    )
    assert b"<strong>1</strong> record visible" in as_owner.content
    as_guest = console.post("/_/collections/memos/simulate", {"sim_user": "", "listRule": ""})
    assert b"<strong>2</strong> records visible" in as_guest.content


def test_user_actions_go_through_the_auth_endpoints(
    console, api, cast, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reset = console.post(f"/_/collections/users/records/{cast.owner_id}/action/reset")
    assert reset.status_code == 302
    page = console.get(reset["Location"]).content.decode()
    assert "Password reset email sent to owner@example.com." in page
    assert [m.to for m in mailoutbox] == [["owner@example.com"]]

    verified = console.post(f"/_/collections/users/records/{cast.owner_id}/action/verify")
    assert verified.status_code == 302
    row = api.get(f"/api/collections/users/records/{cast.owner_id}", token=cast.superuser).json()
    assert row["verified"] is True

    logout = console.post(f"/_/collections/users/records/{cast.owner_id}/action/logout")
    assert logout.status_code == 302
    assert api.post("/api/collections/users/auth-refresh", token=cast.owner).status_code == 401


def test_oauth2_provider_choices_come_from_the_server(console):
    page = console.get("/_/collections/users/auth").content.decode()
    assert '<option value="google"' in page and '<option value="github"' in page


def test_hide_controls_turns_off_schema_editing_in_the_console(console, api, superuser_token):
    assert b"+ New collection" in console.get("/_/collections").content
    api.patch("/api/settings", json={"meta": {"hideControls": True}}, token=superuser_token)
    from baas.settings_api.service import forget

    forget()
    assert b"+ New collection" not in console.get("/_/collections").content
    edit = console.get("/_/collections/users/edit").content.decode()
    assert "Schema changes are turned off" in edit
    assert '<button type="submit" class="primary" disabled>' in edit


def test_csrf_behind_a_tls_proxy_and_from_another_origin(superuser_token):
    strict = Client(enforce_csrf_checks=True)
    token = strict.get("/_/login").cookies["csrftoken"].value
    body = {"email": "root@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token}
    # The browser says https, the proxy forwarded plain http: same host, accepted.
    proxied = strict.post("/_/login", body, headers={"Origin": "https://testserver"})
    assert proxied.status_code == 302
    strict.post("/_/logout", {"csrfmiddlewaretoken": strict.cookies["csrftoken"].value})
    token = strict.get("/_/login").cookies["csrftoken"].value
    body["csrfmiddlewaretoken"] = token
    forged = strict.post("/_/login", body, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403


def test_backups_page_follows_the_backups_api(console, api, superuser_token):
    """Backups (wire-api §7.5) are a separate part: while /api/backups is missing the page
    says so; once it answers, the page offers the actions (exercised in the browser test)."""
    available = api.get("/api/backups", token=superuser_token).status_code != 404
    page = console.get("/_/settings/backups").content.decode()
    assert ("Backups are not available yet" in page) is not available
    assert ("Back up now" in page) is available
