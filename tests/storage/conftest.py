"""Fixtures for the files tests: each test gets an empty storage, local or S3.

``storage`` is parametrised: every test that uses it runs on a local directory and on
SeaweedFS (the ``s3_server`` fixture), through ``storages.backends.s3.S3Storage``.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings
from PIL import Image

from baas.storage.backends import Adapter, adapter
from baas.storage.s3 import client_config


@dataclass
class StorageUnderTest:
    kind: str

    @property
    def adapter(self) -> Adapter:
        return adapter()

    def paths(self, prefix: str = "") -> list[str]:
        """Every stored path under ``prefix`` (recursive), sorted."""
        found: list[str] = []
        directories, files = self.adapter.listdir(prefix)
        found += [f"{prefix}/{name}" if prefix else name for name in files]
        for directory in directories:
            found += self.paths(f"{prefix}/{directory}" if prefix else directory)
        return sorted(found)

    def read(self, path: str) -> bytes:
        stat = self.adapter.stat(path)
        assert stat is not None, path
        return b"".join(self.adapter.read_range(path, 0, stat.size))


def local_storages(location: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def s3_storages(server: Any, **extra: Any) -> dict[str, Any]:
    options = {
        **server.storage_options(),
        "location": f"t-{uuid.uuid4().hex[:12]}",  # an empty "bucket" per test
        "client_config": client_config(),
        **extra,
    }
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[StorageUnderTest]:
    if request.param == "s3":
        server = request.getfixturevalue("s3_server")
        storages = s3_storages(server)
    else:
        storages = local_storages(str(tmp_path / "storage"))
    with override_settings(STORAGES=storages):
        yield StorageUnderTest(request.param)


@pytest.fixture
def local_storage(tmp_path: Any) -> Iterator[StorageUnderTest]:
    with override_settings(STORAGES=local_storages(str(tmp_path / "storage"))):
        yield StorageUnderTest("local")


FIELDS = [
    {"name": "title", "type": "text"},
    {"name": "code", "type": "text", "pattern": "^[a-z]*$"},
    {"name": "one", "type": "file", "maxSelect": 1},
    {"name": "many", "type": "file", "maxSelect": 4, "thumbs": ["20x20", "20x10t", "50x0"]},
    {"name": "small", "type": "file", "maxSelect": 1, "maxSize": 10},
    {"name": "pngs", "type": "file", "maxSelect": 2, "mimeTypes": ["image/png"]},
    {"name": "secret", "type": "file", "maxSelect": 1, "protected": True},
]


@pytest.fixture
def docs(make_collection: Any) -> dict[str, Any]:
    """A public base collection with every kind of file field."""
    return make_collection(
        {
            "name": "docs",
            "type": "base",
            "listRule": "",
            "viewRule": "",
            "createRule": "",
            "updateRule": "",
            "deleteRule": "",
            "fields": FIELDS,
        }
    )


def png(width: int = 300, height: int = 200, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 300, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(out, "JPEG")
    return out.getvalue()


class CommittingApi:
    """The ``api`` client, with each request's on-commit hooks run as a real commit would.

    Tests run inside one transaction (pytest-django's ``db``), so without this the
    deletions a write schedules after commit would never happen.
    """

    def __init__(self, api: Any, capture: Any):
        self.api = api
        self.capture = capture

    def __getattr__(self, method: str) -> Any:
        call = getattr(self.api, method)

        def run(*args: Any, **kwargs: Any) -> Any:
            with self.capture(execute=True):
                return call(*args, **kwargs)

        return run


@pytest.fixture
def capi(api: Any, django_capture_on_commit_callbacks: Any) -> CommittingApi:
    return CommittingApi(api, django_capture_on_commit_callbacks)


RECORDS = "/api/collections/docs/records"
