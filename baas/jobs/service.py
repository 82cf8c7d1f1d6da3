"""Jobs: checked writes, the due-job tick, and running one job.

Every runner (``baas worker``'s beat, or the embedded scheduler of ``baas serve``)
calls ``run_due`` from the ``baas.jobs.tick`` task. A runner *claims* a due job by
moving its ``next_run`` on with an ``UPDATE … WHERE next_run = <the value it read>``:
only one of several concurrent runners can match that row, so a run happens once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from baas.api.errors import FORM_MESSAGE, ValidationFailed, field_error
from baas.jobs import schedule
from baas.jobs.kinds import KINDS, REQUIRED
from baas.jobs.models import Job

log = logging.getLogger("baas.jobs")

EDITABLE = ("name", "schedule", "kind", "config", "enabled")


def _now() -> datetime:
    return datetime.now(UTC)


def save(job: Job, data: dict[str, Any]) -> Job:
    """Apply ``data`` (a create or a partial update) to ``job``, checked; store it."""
    for name in EDITABLE:
        if name in data:
            setattr(job, name, data[name])
    errors = _check(job)
    if errors:
        raise ValidationFailed(FORM_MESSAGE, errors)
    job.name = job.name.strip()
    job.schedule = job.schedule.strip()
    job.next_run = schedule.next_run(job.schedule, _now()) if job.enabled else None
    job.save()
    return job


def _check(job: Job) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if not isinstance(job.name, str) or not job.name.strip():
        errors["name"] = REQUIRED
    elif Job.objects.filter(name=job.name.strip()).exclude(pk=job.pk).exists():
        errors["name"] = field_error("validation_not_unique", "Value must be unique.")
    if not schedule.is_valid(job.schedule):
        errors["schedule"] = field_error(
            "validation_invalid_cron", "Invalid cron expression (five fields or a @macro)."
        )
    if not isinstance(job.enabled, bool):
        errors["enabled"] = field_error("validation_invalid_type", "Must be true or false.")
    kind = KINDS.get(job.kind) if isinstance(job.kind, str) else None
    if kind is None:
        errors["kind"] = field_error(
            "validation_invalid_value", f"Must be one of: {', '.join(KINDS)}."
        )
    elif not isinstance(job.config, dict):
        errors["config"] = field_error("validation_invalid_type", "Must be an object.")
    else:
        job.config, config_errors = kind.clean(job.config)
        errors.update(config_errors)
    return errors


def run_job(job: Job) -> Job:
    """Run ``job`` now and record how it went (errors are logged, never raised)."""
    started = _now()
    try:
        message, status = KINDS[job.kind].run(job), Job.OK
    except Exception as exc:
        log.exception("scheduled job %s (%s) failed", job.name, job.kind)
        message, status = getattr(exc, "message", None) or str(exc) or type(exc).__name__, Job.ERROR
    Job.objects.filter(pk=job.pk).update(
        last_run=started, last_status=status, last_message=message[:2000]
    )
    job.last_run, job.last_status, job.last_message = started, status, message[:2000]
    return job


def claim(job: Job, now: datetime) -> bool:
    """Whether this runner won the due run of ``job`` (see the module docstring)."""
    following = schedule.next_run(job.schedule, now)
    return bool(
        Job.objects.filter(pk=job.pk, enabled=True, next_run=job.next_run).update(
            next_run=following
        )
    )


def run_due(now: datetime | None = None) -> list[str]:
    """Start every enabled job whose ``next_run`` has come and that this runner claims;
    their names. Each runs as its own task (a worker each under Celery, so a long
    retention does not hold up the others; in-process and in turn when embedded)."""
    from baas.jobs.tasks import run

    moment = now or _now()
    started = []
    for job in Job.objects.filter(enabled=True, next_run__lte=moment):
        if claim(job, moment):
            run.delay(job.pk)
            started.append(job.name)
    return started


def wire_date(moment: datetime | None) -> str:
    from baas.collections.fields.dates import to_wire

    return to_wire(moment) if moment else ""


def to_wire(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.name,
        "schedule": job.schedule,
        "kind": job.kind,
        "config": job.config,
        "enabled": job.enabled,
        "nextRun": wire_date(job.next_run),
        "lastRun": wire_date(job.last_run),
        "lastStatus": job.last_status,
        "lastMessage": job.last_message,
        "created": wire_date(job.created),
        "updated": wire_date(job.updated),
    }
