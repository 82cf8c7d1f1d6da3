"""Hooks tests: a fresh hooks directory per test, filled before the first request."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import override_settings

ALL_OPEN = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}


@pytest.fixture
def hooks_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "hooks"
    directory.mkdir()
    with override_settings(BAAS_HOOKS_DIR=directory):
        yield directory


@pytest.fixture
def write_hook(hooks_dir: Path) -> Callable[[str, str], Path]:
    def write(name: str, source: str) -> Path:
        path = hooks_dir / name
        path.write_text(textwrap.dedent(source))
        return path

    return write


@pytest.fixture
def posts(make_collection):
    return make_collection(
        {
            "name": "posts",
            "type": "base",
            **ALL_OPEN,
            "fields": [
                {"name": "title", "type": "text", "max": 50},
                {"name": "slug", "type": "text"},
                {"name": "n", "type": "number"},
                {"name": "created", "type": "autodate", "onCreate": True},
            ],
        }
    )
