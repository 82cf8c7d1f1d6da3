"""Auth tables beyond the peer's system collections: API keys and second-factor devices.

These are ordinary Django models (not runtime collections): no client reads them
through the records API, and their secrets are stored hashed.
"""

from __future__ import annotations

from django.db import models


class ApiKey(models.Model):
    """A service token: ``baas_<id>_<secret>``; only the SHA-256 of the whole key is kept."""

    id = models.CharField(primary_key=True, max_length=15)
    name = models.CharField(max_length=255)
    key_hash = models.CharField(max_length=64)
    # collection names/ids and record actions the key may use; empty = any
    collections = models.JSONField(default=list)
    actions = models.JSONField(default=list)
    created_by = models.CharField(max_length=15, default="")
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "_apiKeys"


class SecondFactor(models.Model):
    """A TOTP authenticator, a set of recovery codes or a passkey of one auth record."""

    TOTP, RECOVERY, PASSKEY = "totp", "recovery", "passkey"

    collection_id = models.CharField(max_length=100)
    record_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=16)
    name = models.CharField(max_length=255, default="")
    data = models.JSONField(default=dict)
    confirmed = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "_secondFactors"
        indexes = [models.Index(fields=["collection_id", "record_id", "kind"])]
