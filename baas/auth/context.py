"""Who is calling: resolved once per request from the ``Authorization`` header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baas.collections.models import Collection

ACTIONS = ("list", "view", "create", "update", "delete")


@dataclass(frozen=True)
class ApiKeyScope:
    """What an API key may do: collection names/ids and record actions (empty = any)."""

    collections: frozenset[str] = frozenset()
    actions: frozenset[str] = frozenset()

    def allows(self, collection: Collection | str, action: str) -> bool:
        if self.actions and action not in self.actions:
            return False
        if not self.collections:
            return True
        if isinstance(collection, str):
            return collection in self.collections or collection.lower() in self.collections
        return collection.id in self.collections or collection.name.lower() in self.collections


@dataclass(frozen=True)
class AuthContext:
    record: dict[str, Any] | None = None  # the auth record, every field (hidden ones too)
    collection: Collection | None = None
    api_key: bool = False
    scopes: ApiKeyScope | None = None  # set for API keys only

    @property
    def is_superuser(self) -> bool:
        return self.collection is not None and self.collection.is_superusers

    @property
    def is_guest(self) -> bool:
        return self.record is None

    @property
    def id(self) -> str:
        return self.record["id"] if self.record else ""

    def allows(self, collection: Collection | str, action: str) -> bool:
        """False only for an API key whose scope excludes this collection/action."""
        return self.scopes is None or self.scopes.allows(collection, action)


GUEST = AuthContext()
