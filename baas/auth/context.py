"""Who is calling: resolved once per request from the ``Authorization`` header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baas.collections.models import Collection


@dataclass(frozen=True)
class AuthContext:
    record: dict[str, Any] | None = None  # the auth record, every field (hidden ones too)
    collection: Collection | None = None
    api_key: bool = False

    @property
    def is_superuser(self) -> bool:
        return self.collection is not None and self.collection.is_superusers

    @property
    def is_guest(self) -> bool:
        return self.record is None

    @property
    def id(self) -> str:
        return self.record["id"] if self.record else ""


GUEST = AuthContext()
