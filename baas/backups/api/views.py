"""``/api/backups`` (wire-api §7.5) and ``/api/crons`` (§7.6): parse, call the service."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView, SuperuserView
from baas.api.errors import BadRequest, Forbidden, NotFound, Unauthorized
from baas.backups import crons
from baas.backups.archive import wire_date
from baas.backups.restore import start_restore
from baas.backups.service import BackupService, check_name, store_call
from baas.backups.store import backup_store, is_valid_key


def _body(request: Request) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict) and not hasattr(data, "getlist"):
        raise BadRequest("An error occurred while loading the submitted data.")
    return data  # type: ignore[return-value]


class BackupListView(SuperuserView):
    def get(self, request: Request) -> Response:
        items = BackupService().list()
        return Response(
            [{"key": i.key, "size": i.size, "modified": wire_date(i.modified)} for i in items]
        )

    def post(self, request: Request) -> Response:
        name = check_name(_body(request).get("name"))
        BackupService().create(name)
        return Response(status=204)


class BackupUploadView(SuperuserView):
    def post(self, request: Request) -> Response:
        uploads = request.FILES.getlist("file") if hasattr(request, "FILES") else []
        BackupService().upload(uploads[0] if uploads else None)
        return Response(status=204)


class BackupDetailView(ApiView):
    """Download relies on a superuser *file* token in ``?token=`` (the SDK's
    ``getDownloadURL``); delete needs the superuser's ``Authorization``."""

    def get(self, request: Request, key: str) -> FileResponse:
        from baas.auth.middleware import resolve_token

        token = request.query_params.get("token", "")
        viewer = resolve_token(token, token_type="file") if token else None
        if viewer is None or not viewer.is_superuser:
            raise Forbidden("Insufficient permissions to access the resource.")
        store = backup_store()
        if not is_valid_key(key) or store_call(lambda: store.info(key), "") is None:
            raise NotFound()
        source = store_call(lambda: store.open(key), "Failed to retrieve backup item.")
        return FileResponse(
            source, as_attachment=True, filename=key, content_type="application/zip"
        )

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download link may ask for ``Accept: application/zip``; errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    def delete(self, request: Request, key: str) -> Response:
        auth = self.auth(request)
        if auth.is_guest:
            raise Unauthorized()
        if not auth.is_superuser:
            raise Forbidden("Only superusers can perform this action.")
        BackupService().delete(key)
        return Response(status=204)


class BackupRestoreView(SuperuserView):
    def post(self, request: Request, key: str) -> Response:
        start_restore(key)
        return Response(status=204)


class CronListView(SuperuserView):
    def get(self, request: Request) -> Response:
        return Response([job.wire() for job in crons.jobs()])


class CronRunView(SuperuserView):
    def post(self, request: Request, job_id: str) -> Response:
        job = crons.find(job_id)
        if job is None:
            raise NotFound("Missing or invalid cron job")
        crons.run_now(job)
        return Response(status=204)
