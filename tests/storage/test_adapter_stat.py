"""The local adapter's one-call ``stat`` answers as Django's ``size`` and
``get_modified_time`` do (the generic adapter's way)."""

from __future__ import annotations

from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.test import override_settings

from baas.storage.backends import Adapter, FileSystemAdapter


def test_stat_matches_the_storage_api(tmp_path: Path) -> None:
    for use_tz in (True, False):
        with override_settings(USE_TZ=use_tz):
            target = FileSystemAdapter(FileSystemStorage(location=tmp_path))
            name = target.save(f"c/r/doc_{use_tz}.txt", ContentFile(b"x" * 1234))
            assert target.stat(name) == Adapter.stat(target, name)
            assert target.stat(name).size == 1234  # type: ignore[union-attr]


def test_stat_of_a_missing_file_is_none(tmp_path: Path) -> None:
    target = FileSystemAdapter(FileSystemStorage(location=tmp_path))
    assert target.stat("c/r/missing.txt") is None
    assert Adapter.stat(target, "c/r/missing.txt") is None
