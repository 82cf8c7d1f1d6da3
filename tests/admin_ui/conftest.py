"""Fixtures for console tests: a real browser (Debian's Chromium driven by Playwright)
against a real ``baas serve``, and screenshots under tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from baas.settings_api import service

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
EMAIL = "console@example.com"
PASSWORD = "console-password-123"


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    service.forget()
    yield
    service.forget()


@pytest.fixture(scope="session")
def console_server(baas_server: Any) -> Any:
    done = baas_server.cli("superuser", "upsert", EMAIL, PASSWORD)
    assert done.returncode == 0, done.stderr
    return baas_server


class Shots:
    def __init__(self, page: Any, prefix: str):
        self.page = page
        self.prefix = prefix
        self.count = 0
        ARTIFACTS.mkdir(exist_ok=True)

    def __call__(self, name: str) -> Path:
        self.count += 1
        path = ARTIFACTS / f"{self.prefix}-{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(chromium: Any, console_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=str(console_server)
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shots(page: Any, request: pytest.FixtureRequest) -> Shots:
    return Shots(page, request.node.name.removeprefix("test_"))


def sign_in(page: Any) -> None:
    page.goto("/_/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/_/collections")
