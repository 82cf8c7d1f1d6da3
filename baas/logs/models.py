"""Request logs (wire-api §7.4).

Column names follow the record tables' ``f_<fieldId>`` scheme (``naming``), so the
expression compiler can filter and sort logs like a collection (``query.LOGS``).
``created`` is text in the wire date format, as record dates are.
"""

from __future__ import annotations

from django.db import models

DEBUG, INFO, WARN, ERROR = -4, 0, 4, 8


class RequestLog(models.Model):
    id = models.CharField(primary_key=True, max_length=15)
    created = models.CharField(max_length=24, db_column="f_created", db_index=True)
    level = models.IntegerField(db_column="f_level", default=INFO)
    message = models.TextField(db_column="f_message", default="")
    data = models.JSONField(db_column="f_data", default=dict)

    class Meta:
        db_table = "_logs"
