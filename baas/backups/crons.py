"""Our periodic jobs, as ``GET /api/crons`` lists them and ``POST /api/crons/{id}`` runs them.

Each job is a Celery task. Jobs with a cron expression run from ``tick``, a beat task
every ``TICK_SECONDS`` (``CELERY_BEAT_SCHEDULE``) that starts the jobs whose
expression matches the current UTC minute, once per minute across every worker (a
cache key). The expression of the automatic backup is the ``backups.cron`` setting,
read on each tick, so a change applies without a restart. The storage sweep keeps its
own beat entry (an interval): it is listed with that interval written as a cron-like
expression.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from baas.backups import cron

log = logging.getLogger("baas.backups")

TICK_SECONDS = 30.0


def _backup_expression() -> str:
    from baas.settings_api.service import current

    return str(current()["backups"]["cron"] or "")


def _beat_expression(task: str) -> Callable[[], str]:
    def expression() -> str:
        for entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).values():
            if entry.get("task") == task:
                return interval_expression(entry["schedule"])
        return ""

    return expression


def interval_expression(schedule: Any) -> str:
    """A beat interval in cron words where one exists (3600 s → ``0 * * * *``)."""
    seconds = int(getattr(schedule, "total_seconds", lambda: schedule)())
    if seconds % 3600 == 0 and 24 % (seconds // 3600) == 0:
        hours = seconds // 3600
        return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
    if seconds % 60 == 0 and 60 % (seconds // 60) == 0:
        minutes = seconds // 60
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    return f"@every {seconds}s"


@dataclass(frozen=True)
class Job:
    id: str
    task: str  # the Celery task's name
    function: str  # its import path (web processes have not imported every tasks module)
    expression: Callable[[], str]
    ticked: bool = True  # False: the job has a beat entry of its own

    def wire(self) -> dict[str, str]:
        return {"id": self.id, "expression": self.expression()}


JOBS = (
    Job(
        "__auto_pb_backup__",
        "baas.backups.auto_backup",
        "baas.backups.tasks.auto_backup",
        _backup_expression,
    ),
    Job(
        "__pbLogsCleanup__",
        "baas.backups.cleanup_logs",
        "baas.backups.tasks.cleanup_logs",
        lambda: "0 */6 * * *",
    ),
    Job(
        "__baasFileSweep__",
        "baas.storage.sweep_orphans",
        "baas.storage.tasks.sweep_orphans",
        _beat_expression("baas.storage.sweep_orphans"),
        ticked=False,
    ),
)


def jobs() -> list[Job]:
    """The scheduled jobs; the peer's ``__pb…`` ids last, as its list sorts them."""
    listed = [job for job in JOBS if job.expression()]
    return sorted(listed, key=lambda job: (job.id.startswith("__pb"), job.id))


def find(job_id: str) -> Job | None:
    return next((job for job in jobs() if job.id == job_id), None)


def run_now(job: Job) -> None:
    """Queue the job's task (in-process when tasks are eager, as in embedded mode)."""
    from django.utils.module_loading import import_string

    import_string(job.function).delay()


def tick(now: datetime) -> list[str]:
    """Start the jobs due in ``now``'s minute, each at most once per minute; their ids."""
    started = []
    minute = now.strftime("%Y%m%d%H%M")
    namespace = connection.settings_dict.get("NAME", "")
    for job in jobs():
        if not job.ticked or not cron.is_due(job.expression(), now):
            continue
        if not cache.add(f"baas:cron:{namespace}:{job.id}:{minute}", 1, 180):
            continue  # another tick in this minute started it
        try:
            run_now(job)
        except Exception:  # one job's broker error must not stop the others
            log.exception("could not start cron job %s", job.id)
            continue
        started.append(job.id)
    return started
