"""Webhooks, their deliveries, and each attempt of a delivery."""

from __future__ import annotations

import secrets
import string

from django.db import models

ALPHABET = string.ascii_lowercase + string.digits

RECORD_EVENTS = ("create", "update", "delete")
AUTH_EVENTS = ("auth.signin", "auth.signup")
EVENTS = RECORD_EVENTS + AUTH_EVENTS
ANY_COLLECTION = "*"


def new_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(15))


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    id = models.CharField(primary_key=True, max_length=15, default=new_id)
    name = models.CharField(max_length=200, default="")
    # a collection name or id, or "*" for every collection
    collection = models.CharField(max_length=200, default=ANY_COLLECTION)
    events = models.JSONField(default=list)
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=200, default=new_secret)
    enabled = models.BooleanField(default=True)
    # a record filter in the rule language; empty = every record
    filter = models.TextField(default="", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "_webhooks"
        ordering = ["created"]


class Delivery(models.Model):
    PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

    id = models.CharField(primary_key=True, max_length=15, default=new_id)
    # null for deliveries made without a webhook row (scheduled jobs' "call a webhook")
    webhook = models.ForeignKey(
        Webhook, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=200)
    event = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, default=PENDING, db_index=True)
    attempts = models.IntegerField(default=0)
    # when the next attempt is due (null once delivered or failed)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # an attempt in flight holds the row until then (another runner leaves it alone)
    locked_until = models.DateTimeField(null=True, blank=True)
    replay_of = models.CharField(max_length=15, default="", blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)  # pruning (baas.jobs)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "_webhookDeliveries"
        ordering = ["-created"]


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.IntegerField()
    started = models.DateTimeField()
    duration_ms = models.IntegerField(default=0)
    status_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(default="", blank=True)
    response = models.TextField(default="", blank=True)  # the first bytes of the answer
    # the backoff chosen after a failed attempt, in seconds (null: no retry follows)
    retry_in = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "_webhookAttempts"
        ordering = ["number"]
