"""Shared state of backup operations, kept in files of the backups directory.

- ``ActiveOperation``: at most one backup or restore runs at a time, across every
  process on this data directory (an ``flock``; the peer keeps the same rule in its
  ``@activeBackup`` store key and answers 400 while one runs).
- The restore *generation* (``.restore-state``): a restore bumps it, and a process that
  started under an older generation holds models, settings and connections of data
  that is gone. ``is_stale()`` tells such a process to step aside (``middleware``)
  until it is replaced; a process started after the restore reads the new generation.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

LOCK_NAME = ".lock"
STATE_NAME = ".restore-state"
RUNNING, DONE, FAILED = "running", "done", "failed"


class Busy(Exception):
    """Another backup or restore holds the lock."""


def configured_dir() -> Path:
    return Path(getattr(settings, "BAAS_BACKUPS_DIR", None) or settings.BAAS_DATA_DIR / "backups")


def backups_dir() -> Path:
    """The local backups directory (created): archives unless on S3, temp files, lock, state."""
    path = configured_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


class ActiveOperation:
    """The one running backup/restore: ``acquire`` or ``Busy``; ``release`` when done.

    flock locks belong to an open file description, so two threads of one process
    exclude each other as two processes do. The holder's key is written in the file
    (``DELETE`` refuses to remove the archive being made or restored).
    """

    def __init__(self, fd: int):
        self.fd: int | None = fd

    @classmethod
    def acquire(cls, key: str) -> ActiveOperation:
        fd = os.open(backups_dir() / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Busy() from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, key.encode(), 0)
        return cls(fd)

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def active_key() -> str | None:
    """The key of the running backup/restore, or None when idle."""
    path = configured_dir() / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 1024, 0).decode(errors="replace") or "?"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


# ---- the restore generation ---------------------------------------------------------


@dataclass(frozen=True)
class RestoreState:
    generation: str = ""
    status: str = DONE
    key: str = ""
    pid: int = 0

    @property
    def running(self) -> bool:
        return self.status == RUNNING and _alive(self.pid)


_cache: tuple[tuple[int, int, int], RestoreState] | None = None
_process_generation: str | None = None


_state_paths: dict[tuple[Any, Any], str] = {}


def _state_path() -> str:
    """Read on every request: no mkdir here, and the path is built once per setting."""
    key = (getattr(settings, "BAAS_BACKUPS_DIR", None), settings.BAAS_DATA_DIR)
    path = _state_paths.get(key)
    if path is None:
        path = _state_paths[key] = str(configured_dir() / STATE_NAME)
    return path


def read_state() -> RestoreState:
    """The current state; re-read only when the file changed (one ``stat`` per call)."""
    global _cache
    path = _state_path()
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return RestoreState()
    signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if _cache is not None and _cache[0] == signature:
        return _cache[1]
    try:
        data: dict[str, Any] = json.loads(Path(path).read_text())
        state = RestoreState(
            generation=str(data.get("generation", "")),
            status=str(data.get("status", DONE)),
            key=str(data.get("key", "")),
            pid=int(data.get("pid", 0)),
        )
    except (OSError, ValueError):
        return RestoreState()
    _cache = (signature, state)
    return state


def write_state(state: RestoreState) -> None:
    """Replace the state file atomically (readers never see half of it)."""
    path = backups_dir() / STATE_NAME
    temp = path.with_name(f"{STATE_NAME}.{secrets.token_hex(4)}")
    temp.write_text(json.dumps(state.__dict__))
    os.replace(temp, path)


def new_generation() -> str:
    return secrets.token_hex(8)


def process_generation() -> str:
    """The generation this process started under (read once, on first use)."""
    global _process_generation
    if _process_generation is None:
        _process_generation = read_state().generation
    return _process_generation


def adopt_generation(generation: str) -> None:
    """This process dropped its caches after a restore: it is current again."""
    global _process_generation
    _process_generation = generation


def is_stale() -> bool:
    """True while a restore runs, and in a process that predates the last restore."""
    state = read_state()
    return state.running or state.generation != process_generation()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
