"""Which hooks directory is in force follows the settings at once, though ``files()``
remembers its last answer (every write asks several times)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.test import override_settings

from baas.hooks import loader


def test_files_follows_a_changed_hooks_dir(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    with override_settings(BAAS_HOOKS_DIR=one):
        first = loader.files()
        assert first.directory == one
        assert loader.files() is first  # remembered
        with override_settings(BAAS_HOOKS_DIR=two):
            assert loader.files().directory == two
        assert loader.files() is first  # back: the same per-directory state


def test_files_follows_the_data_dir_when_no_hooks_dir(tmp_path: Path) -> None:
    with override_settings(BAAS_HOOKS_DIR=None, BAAS_DATA_DIR=tmp_path / "a"):
        assert loader.files().directory == tmp_path / "a" / "hooks"
        settings.BAAS_DATA_DIR = tmp_path / "b"  # assigned, not overridden: still seen
        assert loader.files().directory == tmp_path / "b" / "hooks"


def test_a_file_added_under_a_remembered_directory_is_loaded(tmp_path: Path) -> None:
    hook = (
        "from baas.hooks import on\n\n\n@on('records.before_create')\ndef added(ctx):\n    pass\n"
    )
    with override_settings(BAAS_HOOKS_DIR=tmp_path):
        assert loader.registry().handlers == []
        (tmp_path / "added.py").write_text(hook)
        assert loader.files().refresh()  # what the next check, a second on, does
        assert [h.func.__name__ for h in loader.registry().handlers] == ["added"]
