"""The application settings of wire-api §7.3: one row, the stored JSON (secrets included)."""

from __future__ import annotations

from django.db import models

SINGLETON_ID = 1


class AppSettings(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    # Only what differs from ``defaults.DEFAULTS`` needs to be here; reads merge the two.
    data = models.JSONField(default=dict)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "_settings"
