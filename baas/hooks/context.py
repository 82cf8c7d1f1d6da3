"""What a hook handler receives: the request, the auth record and the record service."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from baas.auth.context import GUEST, AuthContext
from baas.collections.models import Collection
from baas.collections.records.service import Call, RecordService

# The request being served in this thread (set by ``middleware.HooksMiddleware``).
current_request: ContextVar[HttpRequest | None] = ContextVar("baas_hooks_request", default=None)


def _request_auth(request: HttpRequest | None) -> AuthContext:
    return getattr(request, "baas_auth", GUEST) if request is not None else GUEST


@dataclass
class HookContext:
    """``record`` is the row being written (a before-hook may change it in place);
    ``original`` the stored row of an update or delete. Writes a hook makes go through
    ``records`` (the ``RecordService``) with ``system`` (a superuser call) or ``caller``
    (the request's own auth, rules applied), so rules, cascades and realtime hold."""

    event: str
    collection: Collection | None = None
    record: dict[str, Any] | None = None
    original: dict[str, Any] | None = None
    request: HttpRequest | None = None
    body: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_request(cls, event: str, **values: Any) -> HookContext:
        return cls(event=event, request=current_request.get(), **values)

    @property
    def auth(self) -> AuthContext:
        return _request_auth(self.request)

    @property
    def auth_record(self) -> dict[str, Any] | None:
        """The signed-in record (every field), or None for a guest."""
        return self.auth.record

    @property
    def records(self) -> RecordService:
        return RecordService()

    @property
    def system(self) -> Call:
        from baas.auth.records import SYSTEM

        return SYSTEM

    @property
    def caller(self) -> Call:
        method = self.request.method if self.request is not None else None
        return Call(viewer=self.auth, method=method or "GET")

    def collection_named(self, name_or_id: str) -> Collection:
        from baas.collections.api.views import find_collection

        return find_collection(name_or_id)

    def enqueue(self, job_name: str, **payload: Any) -> None:
        """Run the ``@job`` function ``job_name`` in the background, after the current
        transaction commits (a Celery task; in-process when embedded)."""
        from django.db import transaction

        from baas.hooks.tasks import call_job

        transaction.on_commit(lambda: call_job.delay(job_name, payload))
