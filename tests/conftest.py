"""The shared test rig: database selection, real services, the JSON API client.

The database comes from the environment, like the server's: no ``DATABASE_URL``
means SQLite, ``DATABASE_URL=postgresql://…/test`` means PostgreSQL (``make test``
runs the suite once each way). Sub-folder conftests add their own fixtures.

Fixtures here:

- ``api``: the JSON API client (``api.get/post/patch/put/delete``).
- ``redis_url``: a Redis that answers PING (started if needed; never skipped).
- ``s3_server``: a SeaweedFS S3 endpoint with one bucket (session).
- ``baas_server``: a real ``baas serve`` subprocess with its own data (session).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests import services

# No timed assertions (the brief): Hypothesis fails an example that takes over 200 ms by
# default, which a parser fuzz test did once on a loaded machine (486 ms, then 0.01 ms).
hypothesis.settings.register_profile("baas", deadline=None)
hypothesis.settings.load_profile("baas")

pytest_plugins = ["tests.cast"]

CHROMIUM = "/usr/bin/chromium"

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


# --- database and settings ---------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """On PostgreSQL, each run gets its own test database (``test_<name>_<pid>``).

    Several people and CI share one server here; a fixed ``test_test`` would be
    dropped under a run that is still using it. Databases of dead runs are removed.
    """
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        return
    prefix = f"test_{db['NAME']}_"
    services.drop_stale_databases(os.environ["DATABASE_URL"], prefix)
    db.setdefault("TEST", {})["NAME"] = f"{prefix}{os.getpid()}"


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Uploads go to a temp dir, and background tasks run in-process (eager).

    Eager tasks keep tests deterministic on both runs: with ``REDIS_URL`` set the
    settings would queue them for a worker that the tests do not start.
    """
    from baas.celery import app as celery_app

    storage = tmp_path_factory.mktemp("storage")
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(storage)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    # Cheap Argon2 in tests: the suite signs users in thousands of times.
    fast_hash = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    with override_settings(STORAGES=storages, CELERY_TASK_ALWAYS_EAGER=True, BAAS_ARGON2=fast_hash):
        yield
    celery_app.conf.task_always_eager = eager


# --- the JSON API client ---------------------------------------------------------------


class ApiClient:
    """``django.test.Client`` speaking the API's JSON, the way the SDKs do.

    ``json=`` sends a JSON body; ``files=`` sends multipart (each value a
    ``(name, bytes[, content_type])`` tuple, an uploaded file, or a list of them),
    with ``json`` then carried as ``@jsonPayload`` like the JS SDK does and ``data``
    as plain form fields. ``token=`` goes in ``Authorization`` with no scheme.
    """

    def __init__(self, client: Client):
        self.client = client

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> HttpResponse:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> HttpResponse:
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> HttpResponse:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("OPTIONS", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        token: str | None = None,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        body, content_type = _encode_body(json, data, files)
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = token
        return self.client.generic(
            method,
            path,
            body,
            content_type=content_type,
            headers=all_headers,
            QUERY_STRING=_query(query),
        )


def _encode_body(
    json: Any, data: dict[str, Any] | None, files: dict[str, Any] | None
) -> tuple[bytes, str]:
    if files:
        fields: dict[str, Any] = dict(data or {})
        if json is not None:
            fields["@jsonPayload"] = orjson.dumps(json).decode()
        fields.update({name: _uploads(value) for name, value in files.items()})
        return encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT
    if data is not None:
        from urllib.parse import urlencode

        return urlencode(data, doseq=True).encode(), "application/x-www-form-urlencoded"
    if json is not None:
        return orjson.dumps(json), "application/json"
    return b"", "application/octet-stream"


def _uploads(value: Any) -> Any:
    if isinstance(value, list):
        return [_uploads(item) for item in value]
    if isinstance(value, tuple):
        name, content, *content_type = value
        return SimpleUploadedFile(
            name, content, content_type[0] if content_type else "application/octet-stream"
        )
    return value


def _query(query: dict[str, Any] | None) -> str:
    from urllib.parse import urlencode

    return urlencode(query or {}, doseq=True)


@pytest.fixture
def api(client: Client) -> ApiClient:
    return ApiClient(client)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium (``make test`` installs it), never a downloaded browser build.

    One per test module, shared by the module's browser tests (console, docs, API docs):
    while Playwright's sync API runs, its event loop counts as running in this thread, so
    Django's database calls made outside it would refuse (SynchronousOnlyOperation) and a
    second Playwright could not start. Stopping it after the module ends both."""
    import shutil

    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


# --- real services -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis URL that answers PING: ``REDIS_URL`` if set, else loopback db 15.

    A Redis on 127.0.0.1:6379 is started if none answers; if that fails the test
    errors loudly, with the reason, on CI and everywhere else: never a skip.
    """
    return services.ensure_redis(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.S3Server]:
    with services.seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(scope="session")
def baas_server() -> Iterator[services.LiveServer]:
    """A real ``baas serve`` (granian, one worker) on a free loopback port.

    It has its own temp ``--dir`` and, on PostgreSQL, its own fresh database, so it
    never sees (or blocks) the test database: put data in through its HTTP API or
    ``baas_server.cli(...)``, not through the ORM.
    """
    with (
        services.shared_data("baas-live-") as (data, env),
        services.baas_server(data, env=env) as server,
    ):
        yield server
