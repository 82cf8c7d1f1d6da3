"""A queue of leased rows delivered with retries (see the package docstring)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import close_old_connections
from django.db.models import Model
from django.utils import timezone

PENDING = "pending"
EMBEDDED_THREADS = 4  # attempts in flight at once per queue in an embedded process
RESUME_BATCH = 500


class RetryLater(Exception):
    """An attempt failed and another is due after the backoff (the reason Celery logs)."""


def backoff(number: int, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt ``number`` (1, 2, …): base·2^(n-1), capped."""
    return float(min(cap, base * 2 ** (number - 1)))


@dataclass(frozen=True)
class Policy:
    backoff: float  # seconds after the first failure; doubles each time
    backoff_max: float
    max_attempts: int
    lease: float  # seconds an attempt in flight holds its row

    def retry_in(self, number: int) -> float | None:
        """The wait before the attempt after failed attempt ``number``; None if it was the last."""
        if number >= self.max_attempts:
            return None
        return backoff(number, self.backoff, self.backoff_max)


@dataclass(frozen=True)
class Settled:
    """What one attempt made of its row: its status when no retry follows, the retry
    (seconds, or None), and any other columns to write with them."""

    status: str
    retry_in: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)


class Queue:
    """Rows of ``model`` delivered by ``send(row, attempt_number)``, one attempt at a time."""

    def __init__(
        self,
        name: str,
        model: type[Model],
        task: str,
        policy: Callable[[], Policy],
        send: Callable[[Any, int], Settled],
        related: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.model = model
        self.task = task  # the Celery task that calls ``run_task``
        self.policy = policy
        self.send = send
        self.related = tuple(related)
        self.log = logging.getLogger(f"baas.{name}")
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    # --- one attempt ---------------------------------------------------------------------

    def attempt(self, row_id: Any) -> float | None:
        """One attempt if the row is due and free; seconds until the next, or None."""
        row = self._claim(row_id)
        if row is None:
            return None
        number = row.attempts + 1
        settled = self.send(row, number)
        retry = settled.retry_in is not None
        due = timezone.now() + timedelta(seconds=settled.retry_in or 0) if retry else None
        self.model._default_manager.filter(pk=row_id).update(
            status=PENDING if retry else settled.status,
            attempts=number,
            next_attempt_at=due,
            locked_until=None,
            **settled.fields,
        )
        return settled.retry_in

    def _claim(self, row_id: Any) -> Any:
        """Take the row for one attempt (another runner leaves a leased row alone)."""
        now = timezone.now()
        lease = now + timedelta(seconds=self.policy().lease)
        rows = self.model._default_manager
        free = rows.filter(pk=row_id, status=PENDING).exclude(locked_until__gt=now)
        if not free.update(locked_until=lease):
            return None
        return rows.select_related(*self.related).filter(pk=row_id).first()

    # --- the runners: Celery with Redis, a thread pool embedded -----------------------------

    def dispatch(self, row_id: Any, countdown: float = 0.0) -> None:
        """Hand a row to the runner (Celery, or this process's pool when tasks are eager)."""
        from baas.celery import app

        if not app.conf.task_always_eager:
            app.send_task(self.task, args=(row_id,), countdown=countdown or None)
        elif countdown > 0:
            timer = threading.Timer(countdown, self._submit, (row_id,))
            timer.daemon = True
            timer.start()
        else:
            self._submit(row_id)

    def run_task(self, task: Any, row_id: Any) -> None:
        """The body of the queue's Celery task: one attempt, a failure retried with the
        backoff the row records (our countdown, not ``retry_backoff``'s whole-second,
        jittered one; the attempt limit is the policy's, not ``max_retries``)."""
        retry_in = self.attempt(row_id)
        if retry_in is not None:
            raise task.retry(exc=RetryLater(f"{self.name} {row_id}"), countdown=retry_in)

    def _submit(self, row_id: Any) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    EMBEDDED_THREADS, thread_name_prefix=f"baas-{self.name}"
                )
            pool = self._pool
        pool.submit(self._run_embedded, row_id)

    def _run_embedded(self, row_id: Any) -> None:
        close_old_connections()
        try:
            retry_in = self.attempt(row_id)
        except Exception:  # a broken row must not kill the pool thread
            self.log.exception("%s delivery %s failed", self.name, row_id)
            return
        finally:
            close_old_connections()
        if retry_in is not None:
            self.dispatch(row_id, retry_in)

    def resume_due(self, grace: float = 60.0) -> list[Any]:
        """Dispatch pending rows overdue by ``grace`` seconds (their runner went away)."""
        now = timezone.now()
        overdue = self.model._default_manager.filter(
            status=PENDING, next_attempt_at__lt=now - timedelta(seconds=grace)
        ).exclude(locked_until__gt=now)
        ids = list(overdue.values_list("pk", flat=True)[:RESUME_BATCH])
        for row_id in ids:
            self.dispatch(row_id)
        return ids
