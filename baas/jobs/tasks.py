"""Celery tasks of scheduled jobs: the tick (``CELERY_BEAT_SCHEDULE``) and one run."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="baas.jobs.tick", ignore_result=True)
def tick() -> list[str]:
    """Start the due jobs; prune the webhook and push logs when that is due (hourly)."""
    from baas.jobs.pruning import prune_if_due
    from baas.jobs.service import run_due

    started = run_due()
    prune_if_due()
    return started


@shared_task(name="baas.jobs.run", ignore_result=True)
def run(job_id: str) -> None:
    from baas.jobs.models import Job
    from baas.jobs.service import run_job

    job = Job.objects.filter(pk=job_id).first()
    if job is not None:
        run_job(job)
