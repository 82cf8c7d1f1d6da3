"""Loading the hooks directory, and loading it again when its files change.

Every process (each ``baas serve`` worker, each Celery worker) keeps its own copy and
looks at the directory at most once per ``CHECK_INTERVAL`` seconds: the names, sizes
and modification times of its ``*.py`` files. When they differ, every file is loaded
afresh into a new registry that then replaces the old one. A file that fails to load
(a syntax error, an exception at import) is logged with its traceback and left out;
the other files still load.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
import time
from pathlib import Path

from django.conf import settings

from baas.hooks.api import PERMANENT, loading_into
from baas.hooks.registry import Registry

log = logging.getLogger("baas.hooks")

CHECK_INTERVAL = 1.0

Signature = tuple[tuple[str, int, int], ...]


def hooks_dir() -> Path:
    configured = getattr(settings, "BAAS_HOOKS_DIR", None)
    return Path(configured) if configured else Path(settings.BAAS_DATA_DIR) / "hooks"


def signature(directory: Path) -> Signature:
    try:
        files = sorted(directory.glob("*.py"))
    except OSError:
        return ()
    found = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def load(directory: Path) -> Registry:
    registry = Registry()
    for path in sorted(directory.glob("*.py")):
        name = f"baas_hooks.{path.stem}"
        loading_into(registry)
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            # In sys.modules while it runs, as an import would be (dataclasses, pickling
            # and typing look a class's module up there); replaced on the next load.
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except Exception:
            sys.modules.pop(name, None)
            log.exception("hooks file %s failed to load; its hooks are not registered", path)
        finally:
            loading_into(None)
    return registry


class HookFiles:
    """One directory's hooks in this process."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.lock = threading.Lock()
        self.signature: Signature | None = None
        self.registry = Registry()
        self.checked = float("-inf")

    def current(self) -> Registry:
        if time.monotonic() - self.checked >= CHECK_INTERVAL:
            self.refresh()
        return self.registry

    def refresh(self) -> bool:
        """Load the directory again if its files changed; whether it did."""
        with self.lock:
            self.checked = time.monotonic()
            seen = signature(self.directory)
            if seen == self.signature:
                return False
            self.registry = load(self.directory)
            self.signature = seen
            if seen:
                log.info("hooks loaded from %s (%d files)", self.directory, len(seen))
            return True


_files: dict[Path, HookFiles] = {}
_files_lock = threading.Lock()
# The settings values the last ``files()`` answered from, and its answer. Every write asks
# several times; the same objects (settings are read, not rebuilt) skip building a Path.
# Holding them keeps their ids from being reused; a changed setting is another object.
_last: tuple[object, object, HookFiles] | None = None


def files() -> HookFiles:
    global _last
    configured = getattr(settings, "BAAS_HOOKS_DIR", None)
    data_dir = None if configured else settings.BAAS_DATA_DIR
    last = _last
    if last is not None and last[0] is configured and last[1] is data_dir:
        return last[2]
    directory = hooks_dir()
    found = _files.get(directory)
    if found is None:
        with _files_lock:
            found = _files.setdefault(directory, HookFiles(directory))
    _last = (configured, data_dir, found)
    return found


def registry() -> Registry:
    """The hooks in force now: the hooks directory's plus any registered in code."""
    loaded = files().current()
    return (
        loaded.merged(PERMANENT)
        if (PERMANENT.handlers or PERMANENT.routes or PERMANENT.jobs)
        else loaded
    )
