"""Where the hooks directory is: ``--hooksDir`` / ``BAAS_HOOKS_DIR``, else ``<data dir>/hooks``."""

from __future__ import annotations

from pathlib import Path

from baas import config
from baas.cli import build_parser


def test_the_default_is_inside_the_data_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("BAAS_HOOKS_DIR", raising=False)
    monkeypatch.setenv("BAAS_DIR", str(tmp_path / "data"))
    assert config.load().hooks_dir == (tmp_path / "data").resolve() / "hooks"


def test_baas_hooks_dir_names_another_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BAAS_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BAAS_HOOKS_DIR", str(tmp_path / "elsewhere"))
    assert config.load().hooks_dir == (tmp_path / "elsewhere").resolve()


def test_serve_takes_hooks_dir_before_or_after_the_command() -> None:
    for argv in (["--hooksDir", "/x/hooks", "serve"], ["serve", "--hooksDir", "/x/hooks"]):
        assert build_parser().parse_args(argv).hooksDir == "/x/hooks"
