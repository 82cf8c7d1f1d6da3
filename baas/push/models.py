"""Device tokens of signed-in users, and each notification sent with its per-device outcome."""

from __future__ import annotations

from django.db import models

from baas.webhooks.models import new_id

PLATFORMS = ("fcm", "apns")


class Device(models.Model):
    id = models.CharField(primary_key=True, max_length=15, default=new_id)
    collection_id = models.CharField(max_length=100)  # the owner's auth collection
    user_id = models.CharField(max_length=100, db_index=True)
    platform = models.CharField(max_length=8)
    token = models.CharField(max_length=4096)
    topics = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "_pushDevices"
        ordering = ["created"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "token"], name="push_device_token")
        ]


class Notification(models.Model):
    id = models.CharField(primary_key=True, max_length=15, default=new_id)
    user_id = models.CharField(max_length=100, default="", blank=True)
    topic = models.CharField(max_length=200, default="", blank=True)
    title = models.CharField(max_length=500, default="", blank=True)
    body = models.TextField(default="", blank=True)
    data = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True, db_index=True)  # pruning (baas.jobs)

    class Meta:
        db_table = "_pushNotifications"
        ordering = ["-created"]


class Outcome(models.Model):
    """One device's delivery of a notification."""

    PENDING, SENT, FAILED, REMOVED = "pending", "sent", "failed", "removed"

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="outcomes"
    )
    device_id = models.CharField(max_length=15)  # kept after a dead device is removed
    platform = models.CharField(max_length=8)
    token = models.CharField(max_length=4096)
    status = models.CharField(max_length=16, default=PENDING)
    attempts = models.IntegerField(default=0)
    error = models.TextField(default="", blank=True)
    # when the next attempt is due, and a lease while one is in flight (as webhooks)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "_pushOutcomes"
        ordering = ["id"]
