"""What a job can do, one class per kind (STYLE §1: a registry of job types).

Each kind checks its ``config`` (field errors keyed ``config.<name>``) and runs it.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlparse

from baas.api.errors import field_error
from baas.jobs.models import Job

log = logging.getLogger("baas.jobs")

REQUIRED = field_error("validation_required", "Cannot be blank.")


class JobKind(Protocol):
    name: str

    def clean(self, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The config to store and the field errors (empty if valid)."""

    def run(self, job: Job) -> str:
        """Do the work now; a one-line summary for ``last_message``."""


def _text(config: dict[str, Any], name: str) -> str:
    value = config.get(name)
    return value.strip() if isinstance(value, str) else ""


class HookKind:
    """Call a ``@job`` function of the hooks directory with ``payload``."""

    name = "hook"

    def clean(self, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        function = _text(config, "function")
        payload = config.get("payload") or {}
        errors: dict[str, Any] = {}
        if not function:
            errors["config.function"] = REQUIRED
        if not isinstance(payload, dict):
            errors["config.payload"] = field_error("validation_invalid_type", "Must be an object.")
        return {"function": function, "payload": payload}, errors

    def run(self, job: Job) -> str:
        from baas.hooks.tasks import run_job_function

        payload = {**job.config.get("payload", {}), "job": job.name}
        run_job_function(job.config["function"], payload)
        return f"called {job.config['function']}"


class WebhookKind:
    """POST a signed JSON payload to ``url`` through the webhooks app's delivery queue."""

    name = "webhook"

    def clean(self, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        url = _text(config, "url")
        secret = _text(config, "secret")
        payload = config.get("payload") or {}
        errors: dict[str, Any] = {}
        parsed = urlparse(url)
        if not url:
            errors["config.url"] = REQUIRED
        elif parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors["config.url"] = field_error("validation_invalid_url", "Must be a valid url.")
        if not isinstance(payload, dict):
            errors["config.payload"] = field_error("validation_invalid_type", "Must be an object.")
        if not secret:  # deliveries are always signed (baas.webhooks.signing)
            secret = "whsec_" + secrets.token_urlsafe(32)
        return {"url": url, "secret": secret, "payload": payload}, errors

    def run(self, job: Job) -> str:
        from baas.webhooks.delivery import enqueue_delivery

        body = {"job": job.name, "ranAt": datetime.now(UTC).isoformat(), **job.config["payload"]}
        enqueue_delivery(
            url=job.config["url"], secret=job.config["secret"], event="job", payload=body
        )
        return f"queued a delivery to {job.config['url']}"


class RetentionKind:
    """Delete the records of ``collection`` whose ``created`` is more than ``days`` old,
    in batches, each through ``RecordService.delete_record`` (cascades, files, events)."""

    name = "retention"
    BATCH = 200

    def clean(self, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        from baas.collections.models import Collection

        name = _text(config, "collection")
        days = config.get("days")
        errors: dict[str, Any] = {}
        found = Collection.objects.filter(name__iexact=name).first() if name else None
        if not name:
            errors["config.collection"] = REQUIRED
        elif found is None or found.is_view:
            errors["config.collection"] = field_error(
                "validation_missing_collection", "Missing or not a base/auth collection."
            )
        elif (found.field("created") or {}).get("type") != "autodate":
            errors["config.collection"] = field_error(
                "validation_missing_created", "The collection has no created autodate field."
            )
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            errors["config.days"] = field_error(
                "validation_min_number", "Must be a whole number of days, at least 1."
            )
        return {"collection": found.name if found else name, "days": days}, errors

    def run(self, job: Job) -> str:
        from baas.collections.fields.dates import to_wire

        cutoff = to_wire(datetime.now(UTC) - timedelta(days=int(job.config["days"])))
        deleted, failed = delete_older_than(job.config["collection"], cutoff, self.BATCH)
        summary = f"deleted {deleted} records created before {cutoff}"
        return summary + (f"; {failed} could not be deleted" if failed else "")


def delete_older_than(collection_name: str, cutoff: str, batch: int) -> tuple[int, int]:
    from baas.api.errors import ApiError
    from baas.api.listing import Page
    from baas.auth.records import SYSTEM
    from baas.collections.api.views import find_collection
    from baas.collections.records import RecordService

    collection = find_collection(collection_name)
    service = RecordService()
    deleted, failed = 0, set[str]()
    # ``cutoff`` is our own wire date, never user text (the rule language has no binds).
    filter_text = f"created < '{cutoff}'"
    while True:
        page = Page(1, batch + len(failed), skip_total=True)
        rows, _ = service.list_records(
            collection, SYSTEM, filter_text=filter_text, sort_text="created", page=page
        )
        todo = [row["id"] for row in rows if row["id"] not in failed]
        if not todo:
            return deleted, len(failed)
        for record_id in todo:
            try:
                service.delete_record(collection, record_id, SYSTEM)
                deleted += 1
            except ApiError as exc:  # e.g. the target of a required relation
                log.warning("retention: %s/%s not deleted: %s", collection.name, record_id, exc)
                failed.add(record_id)


KINDS: dict[str, JobKind] = {
    kind.name: kind for kind in (HookKind(), WebhookKind(), RetentionKind())
}
