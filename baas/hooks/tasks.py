"""Background calls of ``@job`` functions (``ctx.enqueue`` and scheduled jobs)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from baas.api.errors import ApiError, NotFound
from baas.hooks import dispatch
from baas.hooks.context import HookContext
from baas.hooks.loader import registry

log = logging.getLogger("baas.hooks")


def run_job_function(name: str, payload: dict[str, Any] | None = None) -> Any:
    """Call the ``@job`` function ``name`` now; its errors are logged and raised."""
    found = registry().jobs.get(name)
    if found is None:
        raise NotFound(f"No hook job function named {name!r}.")
    func, source = found
    return dispatch.call(func, source, HookContext(event=f"job {name}", payload=payload or {}))


@shared_task(name="baas.hooks.call_job", ignore_result=True)
def call_job(name: str, payload: dict[str, Any] | None = None) -> None:
    try:
        run_job_function(name, payload)
    except dispatch.HookFailed:
        pass  # logged with its traceback by dispatch.call
    except ApiError as exc:
        log.warning("hook job %s refused: %s", name, exc.message)
