"""The test rig's real services answer: the database under test, Redis, S3."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings


@pytest.mark.django_db
def test_the_database_is_the_one_the_environment_names():
    database_url = os.environ.get("DATABASE_URL")
    if database_url and database_url.startswith("postgres"):
        assert connection.vendor == "postgresql"
        assert connection.settings_dict["NAME"].startswith(
            f"test_{database_url.rsplit('/', 1)[1]}_"
        )
    else:
        assert connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_redis_answers(redis_url):
    client = redis.Redis.from_url(redis_url)
    key = f"baas-test:{uuid.uuid4()}"
    try:
        client.set(key, b"hello", ex=60)
        assert client.get(key) == b"hello"
    finally:
        client.delete(key)
        client.close()


def test_s3_storage_puts_and_gets_through_django_storage_api(s3_server):
    storages = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_server.storage_options(),
        },
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    with override_settings(STORAGES=storages):
        from django.core.files.storage import default_storage

        name = default_storage.save(
            f"records/{uuid.uuid4().hex}/hello.txt", ContentFile(b"hello from baas")
        )
        assert default_storage.exists(name)
        assert default_storage.size(name) == len(b"hello from baas")
        with default_storage.open(name) as fh:
            assert fh.read() == b"hello from baas"
        assert (
            requests.get(default_storage.url(name), timeout=10).content == b"hello from baas"
        )  # presigned
        default_storage.delete(name)
        assert not default_storage.exists(name)
