"""The console's API docs page in a real browser: Swagger UI (vendored static files, no
CDN) renders this instance's document, reached from the console's navigation."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.admin_ui.conftest import console_server, page, shots, sign_in  # noqa: F401


def test_api_docs_page_renders_the_document(page: Any, shots: Any) -> None:  # noqa: F811
    sign_in(page)
    page.get_by_role("link", name="API docs").click()
    page.wait_for_url("**/_/api-docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("baas API")
    users = page.locator("#operations-tag-users")
    expect(users).to_be_visible()
    users.click()
    expect(
        page.locator(".opblock-summary-path", has_text="/api/collections/users/auth-with-password")
    ).to_be_visible()
    shots("api-docs")
    scripts = page.locator("script[src]").evaluate_all("els => els.map(e => e.src)")
    assert all(src.startswith(page.url.split("/_/")[0]) for src in scripts), scripts  # offline


def test_api_docs_page_needs_a_console_session(console_server: Any) -> None:  # noqa: F811
    import requests

    answer = requests.get(f"{console_server}/_/api-docs", allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/_/login")
