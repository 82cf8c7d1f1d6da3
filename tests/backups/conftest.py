"""Fixtures for the backups tests: a backups directory and a file storage per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from baas.settings_api import service


@pytest.fixture(autouse=True)
def backups_dir(tmp_path: Path) -> Iterator[Path]:
    """Archives, lock and temp files in a temp dir; files in a local storage of their own."""
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "storage")},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    service.forget()
    with override_settings(BAAS_BACKUPS_DIR=tmp_path / "backups", STORAGES=storages):
        yield tmp_path / "backups"
    service.forget()
