"""Collections on the wire (wire-api §1.1): the stored row to JSON, secrets left out."""

from __future__ import annotations

import copy
from typing import Any

from baas.collections.defaults import AUTH_TOKEN_KEYS
from baas.collections.fields.dates import to_wire
from baas.collections.models import AUTH_RULE_NAMES, RULE_NAMES, Collection


def public_options(collection: Collection) -> dict[str, Any]:
    options = copy.deepcopy(collection.options)
    for key in AUTH_TOKEN_KEYS:
        if isinstance(options.get(key), dict):
            options[key].pop("secret", None)
    for provider in options.get("oauth2", {}).get("providers", []):
        provider.pop("clientSecret", None)
    return options


def collection_to_wire(collection: Collection) -> dict[str, Any]:
    data: dict[str, Any] = {"id": collection.id}
    for rule in RULE_NAMES:
        data[rule] = collection.rules.get(rule)
    data.update(
        {
            "name": collection.name,
            "type": collection.type,
            "fields": copy.deepcopy(collection.fields),
            "indexes": list(collection.indexes),
            "created": to_wire(collection.created) if collection.created else "",
            "updated": to_wire(collection.updated) if collection.updated else "",
            "system": collection.system,
        }
    )
    if collection.is_auth:
        for rule in AUTH_RULE_NAMES:
            data[rule] = collection.rules.get(rule)
        data.update(public_options(collection))
    if collection.is_view:
        data["viewQuery"] = collection.options.get("viewQuery", "")
    return data
