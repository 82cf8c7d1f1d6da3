"""The collections every instance has (wire-api §1.1), created after ``migrate``."""

from __future__ import annotations

from typing import Any

from baas.collections.defaults import CREATED_FIELD, UPDATED_FIELD
from baas.collections.models import SUPERUSERS, SUPERUSERS_ID, USERS_ID, Collection

OWNER_RULE = "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId"
TIMESTAMPS = [dict(CREATED_FIELD), dict(UPDATED_FIELD)]


def _text(
    name: str, field_id: str, *, required: bool = True, hidden: bool = False, max_length: int = 0
) -> dict[str, Any]:
    return {
        "name": name,
        "type": "text",
        "id": field_id,
        "required": required,
        "hidden": hidden,
        "max": max_length,
    }


REF_FIELDS = [_text("collectionRef", "text455797646"), _text("recordRef", "text127846527")]


def _internal(
    collection_id: str,
    name: str,
    extra: list[dict[str, Any]],
    indexes: list[str],
    delete_rule: bool,
) -> dict[str, Any]:
    return {
        "id": collection_id,
        "name": name,
        "type": "base",
        "fields": REF_FIELDS + extra + TIMESTAMPS,
        "indexes": indexes,
        "listRule": OWNER_RULE,
        "viewRule": OWNER_RULE,
        "deleteRule": OWNER_RULE if delete_rule else None,
    }


def definitions() -> list[dict[str, Any]]:
    return [
        {
            "id": SUPERUSERS_ID,
            "name": SUPERUSERS,
            "type": "auth",
            "fields": TIMESTAMPS,
            "authToken": {"duration": 86400},
        },
        _internal(
            "pbc_2279338944",
            "_mfas",
            [_text("method", "text1582905952")],
            [
                "CREATE INDEX `idx_mfas_collectionRef_recordRef` ON `_mfas` (collectionRef,recordRef)"
            ],
            False,
        ),
        _internal(
            "pbc_1638494021",
            "_otps",
            [
                {
                    "name": "password",
                    "type": "password",
                    "id": "password901924565",
                    "required": True,
                    "hidden": True,
                },
                _text("sentTo", "text3866985172", required=False, hidden=True),
            ],
            [
                "CREATE INDEX `idx_otps_collectionRef_recordRef` ON `_otps` (collectionRef, recordRef)"
            ],
            False,
        ),
        _internal(
            "pbc_2281828961",
            "_externalAuths",
            [_text("provider", "text2462348188"), _text("providerId", "text1044722854")],
            [
                "CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `_externalAuths` (collectionRef, recordRef, provider)",
                "CREATE UNIQUE INDEX `idx_externalAuths_collection_provider` ON `_externalAuths` (collectionRef, provider, providerId)",
            ],
            True,
        ),
        _internal(
            "pbc_4275539003",
            "_authOrigins",
            [_text("fingerprint", "text4228609354")],
            [
                "CREATE UNIQUE INDEX `idx_authOrigins_unique_pairs` ON `_authOrigins` (collectionRef, recordRef, fingerprint)"
            ],
            True,
        ),
    ]


USERS = {
    "id": USERS_ID,
    "name": "users",
    "type": "auth",
    "listRule": "id = @request.auth.id",
    "viewRule": "id = @request.auth.id",
    "createRule": "",
    "updateRule": "id = @request.auth.id",
    "deleteRule": "id = @request.auth.id",
    "fields": [
        _text("name", "text1579384326", required=False, max_length=255),
        {
            "name": "avatar",
            "type": "file",
            "id": "file376926767",
            "maxSelect": 1,
            "mimeTypes": ["image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"],
        },
    ]
    + TIMESTAMPS,
}


def ensure_system_collections(**_: Any) -> None:
    """Idempotent: creates what is missing, never touches what exists."""
    from baas.collections.schema import SchemaService

    service = SchemaService()
    for data in definitions():
        if not Collection.objects.filter(id=data["id"]).exists():
            service.create_collection(data, system=True)
    if (
        not Collection.objects.filter(id=USERS_ID).exists()
        and not Collection.objects.filter(name__iexact="users").exists()
    ):
        service.create_collection(USERS)
