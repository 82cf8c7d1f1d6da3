"""What ``@request.*`` sees (wire-api §3.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import Collection

CONTEXTS = ("default", "oauth2", "otp", "password", "realtime", "protectedFile", "expand", "batch")


@dataclass
class RequestInfo:
    auth: dict[str, Any] | None = (
        None  # field name -> value, plus "id", "collectionId", "collectionName"
    )
    auth_collection: Collection | None = None
    is_superuser: bool = False
    method: str = "GET"
    context: str = "default"  # one of CONTEXTS
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # already snake_cased lower
    body: dict[str, Any] | None = None  # submitted body after modifiers (None = no body)

    def static(self) -> dict[str, Any]:
        """The nested map the binary extracts static ``@request.*`` values from."""
        auth = None
        if self.auth is not None:
            auth = dict(self.auth)
            if self.auth_collection is not None:
                auth.setdefault("collectionId", self.auth_collection.id)
                auth.setdefault("collectionName", self.auth_collection.name)
        return {
            "context": self.context,
            "method": self.method,
            "query": self.query,
            "headers": self.headers,
            "body": self.body if self.body is not None else {},
            "auth": auth,
        }
