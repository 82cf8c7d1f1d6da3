"""Embedded mode has no Celery beat: ``baas serve`` runs the beat schedule itself.

Without ``REDIS_URL`` there is no ``baas worker``, so nothing would run the periodic
jobs (scheduled backups, the storage sweep, logs cleanup). Each ``baas serve`` worker
starts a ``Scheduler`` thread on its first request (``middleware``); an ``flock`` on
``<backups dir>/.scheduler.lock`` lets exactly one of them run the jobs, and the others
try again every ``POLL`` seconds, so the role moves on if that worker dies. Every
``CELERY_BEAT_SCHEDULE`` entry runs in-process at its interval, the first time one
interval after the start, as beat does. With ``REDIS_URL`` set, ``baas worker`` (beat
embedded) runs the schedule instead and this never starts.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

log = logging.getLogger("baas.backups")

POLL = 1.0
LOCK_NAME = ".scheduler.lock"

_started = False
_start_lock = threading.Lock()


def _seconds(schedule: Any) -> float:
    return float(getattr(schedule, "total_seconds", lambda: schedule)())


class Scheduler:
    def __init__(
        self, entries: dict[str, dict[str, Any]], clock: Callable[[], float] = time.monotonic
    ):
        self.entries = entries
        self.clock = clock
        start = clock()
        self.due = {name: start + _seconds(e["schedule"]) for name, e in entries.items()}
        self.fd: int | None = None

    def hold_lock(self) -> bool:
        """Whether this scheduler is the one that runs the jobs (taking the role if free)."""
        if self.fd is not None:
            return True
        from baas.backups.state import backups_dir

        fd = os.open(backups_dir() / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def run_pending(self) -> list[str]:
        """Run the entries that are due; their names."""
        ran = []
        now = self.clock()
        for name, entry in self.entries.items():
            if now < self.due[name]:
                continue
            self.due[name] = now + _seconds(entry["schedule"])
            run_task(entry["task"])
            ran.append(name)
        return ran

    def loop(self) -> None:
        from django.db import connection

        while True:
            try:
                if self.hold_lock() and self.run_pending():
                    connection.close()  # this thread's connection: nothing left open
            except Exception:  # one failing job must not end the schedule
                log.exception("the embedded scheduler failed")
                connection.close()
            time.sleep(POLL)


def run_task(name: str) -> None:
    """Run one Celery task by name, here and now (tasks are eager when embedded)."""
    from baas.celery import app

    app.loader.import_default_modules()  # the apps' tasks modules, as a worker would
    app.tasks[name].apply()


def ensure_started() -> bool:
    """Start the scheduler thread once per process, in an embedded ``baas serve`` worker."""
    global _started
    if _started:
        return False
    with _start_lock:
        if _started:
            return False
        _started = True
    if not settings.CELERY_TASK_ALWAYS_EAGER or not _under_baas_serve():
        return False
    scheduler = Scheduler(dict(getattr(settings, "CELERY_BEAT_SCHEDULE", {})))
    threading.Thread(target=scheduler.loop, name="baas-scheduler", daemon=True).start()
    return True


def _under_baas_serve() -> bool:
    from baas.backups.restore import _under_baas_serve as serving

    return serving()
