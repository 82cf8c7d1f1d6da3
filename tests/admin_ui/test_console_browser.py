"""The console in a real browser against ``baas serve``: what a new user does first.

Screenshots of each step land in tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import requests
from PIL import Image
from playwright.sync_api import expect

from tests.admin_ui.conftest import EMAIL, PASSWORD, sign_in


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (16, 85, 201)).save(out, "PNG")
    return out.getvalue()


def _api_token(server: Any) -> str:
    response = requests.post(
        f"{server}/api/collections/_superusers/auth-with-password",
        json={"identity": EMAIL, "password": PASSWORD},
        timeout=10,
    )
    return response.json()["token"]


def _add_field(page: Any, type_name: str, name: str) -> Any:
    page.get_by_role("button", name=f"+ {type_name}", exact=True).click()
    card = page.locator(".fieldcard").last
    expect(card.locator(".type")).to_have_text(type_name)
    card.locator("input.name").fill(name)
    return card


def _create_posts(page: Any, shots: Any, name: str) -> None:
    page.get_by_role("link", name="+ New collection").click()
    page.get_by_label("Name", exact=True).fill(name)
    _add_field(page, "text", "title").get_by_label("Required").check()
    _add_field(page, "number", "views")
    _add_field(page, "bool", "published")
    tags = _add_field(page, "select", "tags")
    tags.get_by_label("Choices").fill("news, tech, life")
    tags.get_by_label("Max selected").fill("3")
    _add_field(page, "json", "meta")
    _add_field(page, "date", "published_at")
    _add_field(page, "relation", "author").get_by_label("Related collection").select_option(
        label="users"
    )
    cover = _add_field(page, "file", "cover")
    cover.get_by_label("Allowed MIME types").fill("image/png, image/jpeg")
    cover.get_by_label("Thumb sizes").fill("100x100")
    _add_field(page, "editor", "body")

    # Rules: a typo is flagged while typing, then fixed; list/view public, create signed-in.
    page.locator('input[name="listRule.locked"]').uncheck()
    page.locator('input[name="viewRule.locked"]').uncheck()
    page.locator('input[name="createRule.locked"]').uncheck()
    create_rule = page.locator("#rule-createRule")
    create_rule.fill("nope_field = 1")
    expect(page.locator("#state-createRule")).to_contain_text("✗")
    shots("rule-error")
    create_rule.fill("")
    create_rule.press_sequentially("vie")
    expect(page.locator(".suggest [role=option]").first).to_have_text("views")
    create_rule.press("Enter")
    create_rule.press_sequentially(' > 0 && @request.auth.id != ""')
    expect(page.locator("#state-createRule")).to_contain_text("Valid rule")
    shots("new-collection")
    page.get_by_role("button", name="Create collection").click()
    page.wait_for_url(f"**/_/collections/{name}")
    expect(page.locator(".notice.ok")).to_contain_text(f"Collection “{name}” created.")


def _new_record(page: Any, name: str, title: str, views: int, tags: list[str], png: bytes) -> str:
    page.goto(f"/_/collections/{name}/records/new")
    page.get_by_label("title").fill(title)
    page.get_by_label("views").fill(str(views))
    page.get_by_label("published", exact=True).check()
    for tag in tags:
        page.get_by_label(tag, exact=True).check()
    page.get_by_label("meta").fill('{"rating": 5}')
    page.get_by_label("published_at").fill("2026-03-04T05:06:07")
    page.get_by_label("body").fill("<p>Hello <b>world</b></p>")
    page.get_by_label("cover").set_input_files(
        files=[{"name": "Cover Photo.png", "mimeType": "image/png", "buffer": png}]
    )
    expect(page.locator("[data-previews] img")).to_have_count(1)
    page.get_by_role("button", name="Create", exact=True).click()
    page.wait_for_url(re.compile(rf".*/_/collections/{name}/records/[a-z0-9]{{15}}$"))
    return page.url.rsplit("/", 1)[1]


def test_a_new_user_builds_a_collection_and_manages_its_records(page, shots, console_server):
    name = f"posts_{uuid.uuid4().hex[:6]}"
    sign_in(page)
    shots("collections")
    _create_posts(page, shots, name)
    png = _png()

    first = _new_record(page, name, "Hello", 5, ["news", "tech"], png)
    record_json = page.locator("#record-json")
    expect(record_json).to_contain_text('"title": "Hello"')
    expect(record_json).to_contain_text('"published_at": "2026-03-04 05:06:07.000Z"')
    expect(record_json).to_contain_text('"rating": 5')
    expect(record_json).to_contain_text("cover_photo_")
    expect(page.locator(f'img[src*="/api/files/"][src*="{first}"]')).to_have_count(1)
    shots("record")
    _new_record(page, name, "World", 1, ["life"], png)
    _new_record(page, name, "Again", 9, [], png)

    # Sort by clicking a column; filter with the expression language; an error is inline.
    page.goto(f"/_/collections/{name}")
    expect(page.locator("tbody tr")).to_have_count(3)
    expect(page.locator("tbody img.thumb")).to_have_count(3)
    page.get_by_role("link", name="views", exact=True).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("views")
    expect(page.locator("tbody tr").first).to_contain_text("World")
    page.get_by_role("link", name=re.compile(r"^views")).click()
    expect(page.locator("tbody tr").first).to_contain_text("Again")
    page.get_by_label("Filter").fill("views > 2 && published = true")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    shots("filtered")
    page.get_by_label("Filter").fill("views >")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#filter-error")).to_contain_text("Invalid filter")
    shots("filter-error")

    # Edit a record, then delete two with the bulk action.
    page.goto(f"/_/collections/{name}/records/{first}")
    page.get_by_label("title").fill("Hello again")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".notice.ok")).to_contain_text("saved")
    expect(page.locator("#record-json")).to_contain_text("Hello again")
    page.goto(f"/_/collections/{name}?sort=title")
    page.get_by_label("Select all on this page").check()
    page.get_by_label(f"Select {first}").uncheck()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete 2 selected").click()
    expect(page.locator(".notice.ok")).to_contain_text("2 records deleted")
    expect(page.locator("tbody tr")).to_have_count(1)
    shots("after-bulk-delete")

    token = _api_token(console_server)
    listed = requests.get(
        f"{console_server}/api/collections/{name}/records", timeout=10
    ).json()  # the list rule made it public
    assert [r["title"] for r in listed["items"]] == ["Hello again"]
    assert listed["items"][0]["tags"] == ["news", "tech"]
    schema = requests.get(
        f"{console_server}/api/collections/{name}", headers={"Authorization": token}, timeout=10
    ).json()
    assert schema["createRule"] == 'views > 0 && @request.auth.id != ""'
    assert schema["listRule"] == "" and schema["updateRule"] is None
    assert [f["name"] for f in schema["fields"]][-4:] == ["published_at", "author", "cover", "body"]


def test_removing_a_field_says_what_data_goes_before_it_runs(page, shots, console_server):
    name = f"notes_{uuid.uuid4().hex[:6]}"
    token = _api_token(console_server)
    headers = {"Authorization": token}
    created = requests.post(
        f"{console_server}/api/collections",
        json={
            "name": name,
            "fields": [{"name": "body", "type": "text"}, {"name": "n", "type": "number"}],
        },
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 200, created.text
    for i in range(2):
        requests.post(
            f"{console_server}/api/collections/{name}/records",
            json={"body": f"b{i}", "n": i},
            headers=headers,
            timeout=10,
        )
    sign_in(page)
    page.goto(f"/_/collections/{name}/edit")
    page.get_by_role("button", name="Remove field n").click()
    page.get_by_role("button", name="Move body down").click()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#changes")).to_contain_text(
        "Delete the field “n” and its values in all 2 records."
    )
    shots("review")
    page.get_by_role("button", name="Confirm and save").click()
    expect(page.locator(".notice.ok")).to_contain_text("saved")
    fields = requests.get(
        f"{console_server}/api/collections/{name}", headers=headers, timeout=10
    ).json()["fields"]
    assert [f["name"] for f in fields] == ["id", "body"]


def test_managing_a_user(page, shots, console_server):
    email = f"u{uuid.uuid4().hex[:6]}@example.com"
    sign_in(page)
    page.goto("/_/collections/users/records/new")
    page.locator("#in-email").fill(email)
    page.locator("#in-password").fill("user-password-1")
    page.get_by_label("passwordConfirm").fill("user-password-1")
    page.locator("#in-name").fill("Ada")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("h1")).to_contain_text(email)
    user_id = page.url.rsplit("/", 1)[1]
    user_token = requests.post(
        f"{console_server}/api/collections/users/auth-with-password",
        json={"identity": email, "password": "user-password-1"},
        timeout=10,
    ).json()["token"]

    page.get_by_role("button", name="Mark verified").click()
    expect(page.locator(".notice.ok")).to_contain_text("is now verified")
    expect(page.locator("#user-actions .badge")).to_have_text("verified")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Force logout").click()
    expect(page.locator(".notice.ok")).to_contain_text("signed out everywhere")
    refreshed = requests.post(
        f"{console_server}/api/collections/users/auth-refresh",
        headers={"Authorization": user_token},
        timeout=10,
    )
    assert refreshed.status_code == 401  # the old token was revoked

    page.get_by_role("button", name="Get a token").click()
    expect(page.locator("#imp-token")).to_be_visible()
    impersonated = page.locator("#imp-token").inner_text().strip()
    me = requests.get(
        f"{console_server}/api/collections/users/records/{user_id}",
        headers={"Authorization": impersonated},
        timeout=10,
    )
    assert me.status_code == 200 and me.json()["email"] == email
    shots("user")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete user").click()
    expect(page.locator(".notice.ok")).to_contain_text(f"Record {user_id} deleted")


def test_changing_a_setting_and_reading_the_logs(page, shots, console_server):
    sign_in(page)
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Application name").fill("Console Test App")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".notice.ok")).to_contain_text("Settings saved.")
    expect(page.get_by_label("Application name")).to_have_value("Console Test App")
    page.get_by_label("Application URL").fill("not a url")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error")).to_contain_text("Must be a valid URL.")
    shots("settings-error")

    page.get_by_role("link", name="Mail (SMTP)").click()
    page.get_by_label("Password").fill("smtp-secret-value")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".notice.ok")).to_contain_text("Settings saved.")
    assert "smtp-secret-value" not in page.content()

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Logs").click()
    expect(page.locator(".chart rect").first).to_be_attached()
    expect(page.locator("tbody tr").first).to_contain_text("/api/")
    page.get_by_label("Filter").fill("data.status >= 400")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody")).to_contain_text("error")
    shots("logs")


def test_the_console_fits_a_phone(chromium, console_server):
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, base_url=str(console_server)
    )
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/_/collections/users")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"page is {width}px wide on a 390px screen"
        from tests.admin_ui.conftest import ARTIFACTS

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "phone-records.png"), full_page=True)
    finally:
        context.close()


def test_backups_through_the_console(page, shots, console_server):
    sign_in(page)
    page.goto("/_/settings/backups")
    token = _api_token(console_server)
    listed = requests.get(
        f"{console_server}/api/backups", headers={"Authorization": token}, timeout=10
    )
    if listed.status_code == 404:  # the backups API is a separate part (wire-api §7.5)
        expect(page.locator(".notice.warn")).to_contain_text("Backups are not available yet")
        return
    name = f"console_{uuid.uuid4().hex[:6]}.zip"
    page.get_by_label("Backup name").fill(name)
    page.get_by_role("button", name="Back up now").click()
    expect(page.locator(".notice.ok")).to_contain_text("Backup created.")
    row = page.locator("#backups tr", has_text=name)
    expect(row).to_have_count(1)
    href = row.get_by_role("link", name="Download").get_attribute("href")
    download = requests.get(f"{console_server}{href}", timeout=30)
    assert download.status_code == 200 and download.content[:2] == b"PK"
    shots("backups")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete").click()
    expect(page.locator(".notice.ok")).to_contain_text(f"Backup {name} deleted.")
    expect(page.locator("#backups tr", has_text=name)).to_have_count(0)
