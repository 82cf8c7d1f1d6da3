"""A scheduled job: what to run (``kind`` + ``config``) and when (a cron ``schedule``)."""

from __future__ import annotations

import secrets
import string

from django.db import models

ALPHABET = string.ascii_lowercase + string.digits


def new_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(15))


class Job(models.Model):
    OK, ERROR = "ok", "error"

    id = models.CharField(primary_key=True, max_length=15, default=new_id)
    name = models.CharField(max_length=200, unique=True)
    schedule = models.CharField(max_length=200)  # five cron fields or a macro, UTC
    kind = models.CharField(max_length=32)  # a name in ``kinds.KINDS``
    config = models.JSONField(default=dict)
    enabled = models.BooleanField(default=True)
    # The next moment the job is due; a runner claims a run by moving it (``service``).
    next_run = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=16, default="", blank=True)
    last_message = models.TextField(default="", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "_jobs"
        ordering = ["created"]
