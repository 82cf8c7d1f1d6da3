"""The system table that holds every collection's schema (DESIGN §4).

Records themselves live in runtime tables built by ``SchemaService``; see
``naming`` for their physical names and ``dynamic`` for their model classes.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Lower

BASE, AUTH, VIEW = "base", "auth", "view"
TYPES = (BASE, AUTH, VIEW)
RULE_NAMES = ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")
AUTH_RULE_NAMES = ("authRule", "manageRule")

USERS_ID = "_pb_users_auth_"
SUPERUSERS_ID = "pbc_3142635823"
SUPERUSERS = "_superusers"


class Collection(models.Model):
    id = models.CharField(primary_key=True, max_length=100)
    name = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=10, default=BASE)
    system = models.BooleanField(default=False)
    fields = models.JSONField(default=list)
    indexes = models.JSONField(default=list)
    # The API rules, keyed by their wire names (listRule ... deleteRule, and for
    # auth collections authRule and manageRule). A missing key or None = superusers only.
    rules = models.JSONField(default=dict)
    # Type-specific options as on the wire: auth options (passwordAuth, otp, ...), viewQuery.
    options = models.JSONField(default=dict)
    schema_version = models.PositiveBigIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "_collections"
        constraints = [models.UniqueConstraint(Lower("name"), name="collection_name_ci_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_auth(self) -> bool:
        return self.type == AUTH

    @property
    def is_view(self) -> bool:
        return self.type == VIEW

    @property
    def is_superusers(self) -> bool:
        return self.id == SUPERUSERS_ID

    def rule(self, name: str) -> str | None:
        return self.rules.get(name)

    def field(self, name: str) -> dict[str, Any] | None:
        for field in self.fields:
            if field["name"] == name:
                return field
        return None

    def field_by_id(self, field_id: str) -> dict[str, Any] | None:
        for field in self.fields:
            if field["id"] == field_id:
                return field
        return None
