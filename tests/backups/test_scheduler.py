"""Embedded mode: ``baas serve`` runs the beat schedule itself (``baas.backups.scheduler``)."""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from baas.backups.scheduler import LOCK_NAME, Scheduler
from baas.logs.models import RequestLog
from tests.reliability.live import instance, wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_entry_runs_at_its_interval(db: Any, backups_dir: Path) -> None:
    clock = Clock()
    entries = {"logs": {"task": "baas.backups.cleanup_logs", "schedule": 60.0}}
    scheduler = Scheduler(entries, clock=clock)
    old = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S.000Z")
    RequestLog.objects.create(id="oldoldoldoldold", created=old, message="GET /")
    assert scheduler.run_pending() == []  # the first run is one interval after the start
    clock.now += 60
    assert scheduler.run_pending() == ["logs"]
    assert not RequestLog.objects.filter(id="oldoldoldoldold").exists()
    clock.now += 30
    assert scheduler.run_pending() == []


def test_one_scheduler_per_data_directory(backups_dir: Path) -> None:
    first, second = Scheduler({}), Scheduler({})
    assert first.hold_lock() and not second.hold_lock()
    first.release()
    assert second.hold_lock()  # the role moves on when its holder goes
    second.release()


def test_an_embedded_server_runs_the_schedule(tmp_path: Path) -> None:
    """Without REDIS_URL (no ``baas worker``) one serve worker holds the scheduler role."""
    with instance(
        tmp_path, workers=2, DATABASE_URL=None, REDIS_URL=None, BAAS_SECRET_KEY=None
    ) as live:
        assert live.api("GET", "/api/health").status_code == 200  # the first request starts it
        lock = live.data_dir / "backups" / LOCK_NAME

        def held() -> bool:
            if not lock.exists():
                return False
            fd = os.open(lock, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            finally:
                os.close(fd)
            return False

        wait_for(held, 10, "a worker to hold the scheduler lock")
