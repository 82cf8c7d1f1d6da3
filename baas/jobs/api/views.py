"""``/api/jobs``: superusers list, create, change, delete and run scheduled jobs."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import SuperuserView
from baas.api.errors import BadRequest, NotFound
from baas.jobs import service
from baas.jobs.models import Job


def _body(request: Request) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict):
        raise BadRequest("Failed to load the submitted data due to invalid formatting.")
    return dict(data)


def _job(job_id: str) -> Job:
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job


class JobListView(SuperuserView):
    def get(self, request: Request) -> Response:
        return Response([service.to_wire(job) for job in Job.objects.all()])

    def post(self, request: Request) -> Response:
        data = {"config": {}, "enabled": True, "name": "", "schedule": "", "kind": ""}
        return Response(service.to_wire(service.save(Job(), {**data, **_body(request)})))


class JobDetailView(SuperuserView):
    def get(self, request: Request, job_id: str) -> Response:
        return Response(service.to_wire(_job(job_id)))

    def patch(self, request: Request, job_id: str) -> Response:
        return Response(service.to_wire(service.save(_job(job_id), _body(request))))

    def delete(self, request: Request, job_id: str) -> Response:
        _job(job_id).delete()
        return Response(status=204)


class JobRunView(SuperuserView):
    """Runs the job now (a Celery task: a worker runs it, or in-process when embedded)."""

    def post(self, request: Request, job_id: str) -> Response:
        from baas.jobs.tasks import run

        run.delay(_job(job_id).pk)
        return Response(status=204)
