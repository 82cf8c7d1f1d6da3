"""The console's Settings › Files storage: the settings API's ``s3`` block switches where
new files go (wire-api §7.3), on a running instance, without a restart."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from baas.settings_api import service
from baas.storage.backends import FileSystemAdapter, S3Adapter, adapter
from tests.storage.conftest import RECORDS

pytestmark = pytest.mark.django_db


def _s3_settings(server: Any, enabled: bool) -> dict[str, Any]:
    return {
        "s3": {
            "enabled": enabled,
            "bucket": server.bucket,
            "region": server.region,
            "endpoint": server.endpoint,
            "accessKey": server.access_key,
            "secret": server.secret_key,
            "forcePathStyle": True,
        }
    }


def test_enabling_s3_in_the_settings_moves_new_uploads_to_the_bucket(
    capi: Any, docs: dict, local_storage: Any, s3_server: Any, superuser_token: str
) -> None:
    before = capi.post(RECORDS, files={"one": ("before.txt", b"local bytes")}).json()
    assert isinstance(adapter(), FileSystemAdapter)

    enabled = capi.patch("/api/settings", json=_s3_settings(s3_server, True), token=superuser_token)
    assert enabled.status_code == 200, enabled.content
    assert s3_server.secret_key not in enabled.content.decode()  # never echoed back
    service.forget()  # as every worker does within a couple of seconds
    assert isinstance(adapter(), S3Adapter)

    marker = uuid.uuid4().hex
    after = capi.post(RECORDS, files={"one": ("after.txt", marker.encode())}).json()
    key = f"{after['collectionId']}/{after['id']}/{after['one']}"
    stored = s3_server.client().get_object(Bucket=s3_server.bucket, Key=key)["Body"].read()
    assert stored == marker.encode()
    downloaded = capi.get(f"/api/files/{after['collectionId']}/{after['id']}/{after['one']}")
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == marker.encode()

    # switched back: new files are local again, and the local ones never moved
    disabled = capi.patch(
        "/api/settings", json=_s3_settings(s3_server, False), token=superuser_token
    )
    assert disabled.status_code == 200, disabled.content
    service.forget()
    assert isinstance(adapter(), FileSystemAdapter)
    old = capi.get(f"/api/files/{before['collectionId']}/{before['id']}/{before['one']}")
    assert b"".join(old.streaming_content) == b"local bytes"
    capi.delete(f"{RECORDS}/{after['id']}")  # leave the shared bucket as it was
