"""Administration paths beyond ``endpoints.superuser_paths`` (superusers only): API keys,
force logout, collection import, settings tests, backups and crons (wire-api §7.5,
§7.6), webhooks, scheduled jobs, push sending, the console's rule and view previews,
and the OAuth2 provider list."""

from __future__ import annotations

from typing import Any

from baas.openapi.operations import (
    NO_CONTENT,
    OBJECT,
    OBJECTS,
    PAGE,
    REQUIRED_AUTH,
    STRING,
    STRINGS,
    Operation,
    Paths,
    fields_body,
    json_body,
    ok,
    operation,
    path_param,
    query,
)
from baas.openapi.schemas import Schema, list_schema

BOOLEAN: Schema = {"type": "boolean"}
ACTIONS = ["list", "view", "create", "update", "delete"]


def admin(op_id: str, summary: str, tag: str, responses: dict, **kw: Any) -> Operation:
    return operation(op_id, summary, tag, responses, security=REQUIRED_AUTH, **kw)


def admin_paths() -> Paths:
    return {
        **_api_key_paths(),
        **_auth_admin_paths(),
        **_backup_paths(),
        **_webhook_paths(),
        **_job_paths(),
        **_push_paths(),
        **_console_paths(),
    }


API_KEY: Schema = {
    "type": "object",
    "properties": {
        "id": STRING,
        "name": STRING,
        "collections": STRINGS,
        "actions": STRINGS,
        "created": STRING,
        "expires": STRING,
        "revoked": STRING,
        "lastUsed": STRING,
        "key": {"type": "string", "description": "Only in the answer to the create."},
    },
}


def _api_key_paths() -> Paths:
    note = "Superusers only (not API keys): docs/auth.md#api-keys."
    return {
        "/api/x/api-keys": {
            "get": admin(
                "api_keys_list",
                "API keys",
                "api-keys",
                {"200": ok({"type": "array", "items": API_KEY})},
                description=note,
            ),
            "post": admin(
                "api_keys_create",
                "Create an API key (its text is shown once)",
                "api-keys",
                {"200": ok(API_KEY)},
                body=fields_body(
                    {
                        "name": {"type": "string", "minLength": 1},
                        "collections": {
                            "type": "array",
                            "items": STRING,
                            "description": "Names or ids; empty: every collection.",
                        },
                        "actions": {
                            "type": "array",
                            "items": {"type": "string", "enum": ACTIONS},
                            "description": "Record actions; empty: all of them.",
                        },
                        "duration": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Seconds until it expires; 0: never.",
                        },
                    },
                    ["name"],
                ),
                description=note,
            ),
        },
        "/api/x/api-keys/{keyId}": {
            "delete": admin(
                "api_keys_revoke",
                "Revoke an API key",
                "api-keys",
                {"204": NO_CONTENT},
                params=[path_param("keyId")],
                description=note,
            )
        },
    }


def _auth_admin_paths() -> Paths:
    collection = path_param("collection", "Collection id or name.")
    return {
        "/api/x/collections/{collection}/records/{recordId}/logout": {
            "post": admin(
                "x_force_logout",
                "Sign a record out everywhere (its tokens stop working)",
                "auth",
                {"204": NO_CONTENT},
                params=[collection, path_param("recordId")],
            )
        },
        "/api/collections/meta/oauth2-providers": {
            "get": admin(
                "oauth2_providers",
                "The OAuth2 providers that can be configured",
                "auth",
                {"200": ok(OBJECTS)},
            )
        },
        "/api/collections/import": {
            "put": admin(
                "collections_import",
                "Create or replace collections from a list",
                "collections",
                {"204": NO_CONTENT},
                body=fields_body(
                    {"collections": OBJECTS, "deleteMissing": BOOLEAN}, ["collections"]
                ),
            )
        },
        "/api/settings/test/email": {
            "post": admin(
                "settings_test_email",
                "Send a test email",
                "settings",
                {"204": NO_CONTENT},
                body=fields_body(
                    {"email": STRING, "template": STRING, "collection": STRING},
                    ["email", "template"],
                ),
            )
        },
        "/api/settings/apple/generate-client-secret": {
            "post": admin(
                "settings_apple_client_secret",
                "Make a Sign in with Apple client secret (a signed JWT)",
                "settings",
                {"200": ok({"type": "object", "properties": {"secret": STRING}})},
                body=fields_body(
                    {
                        "clientId": STRING,
                        "teamId": STRING,
                        "keyId": STRING,
                        "privateKey": STRING,
                        "duration": {"type": "integer", "minimum": 1},
                    },
                    ["clientId", "teamId", "keyId", "privateKey", "duration"],
                ),
            )
        },
        "/api/settings/test/s3": {
            "post": admin(
                "settings_test_s3",
                "Check the S3 settings",
                "settings",
                {"204": NO_CONTENT},
                body=fields_body(
                    {"filesystem": {"type": "string", "enum": ["storage", "backups"]}},
                    ["filesystem"],
                ),
            )
        },
    }


def _backup_paths() -> Paths:
    key = path_param("key", "The backup's file name.")
    backup = {
        "type": "object",
        "properties": {"key": STRING, "size": {"type": "integer"}, "modified": STRING},
    }
    return {
        "/api/backups": {
            "get": admin(
                "backups_list",
                "Backups",
                "backups",
                {"200": ok({"type": "array", "items": backup})},
            ),
            "post": admin(
                "backups_create",
                "Make a backup",
                "backups",
                {"204": NO_CONTENT},
                body=json_body({"type": "object", "properties": {"name": STRING}}, required=False),
            ),
        },
        "/api/backups/upload": {
            "post": admin(
                "backups_upload",
                "Upload a backup",
                "backups",
                {"204": NO_CONTENT},
                body={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {
                                        "type": "string",
                                        "contentMediaType": "application/zip",
                                    }
                                },
                                "required": ["file"],
                            }
                        }
                    },
                },
            )
        },
        "/api/backups/{key}": {
            "get": operation(
                "backups_download",
                "Download a backup",
                "backups",
                {
                    "200": {
                        "description": "The zip (`application/zip`).",
                        # octet-stream too: what client generators know as a download
                        "content": {
                            "application/zip": {"schema": {}},
                            "application/octet-stream": {"schema": {}},
                        },
                    }
                },
                params=[key, query("token", STRING, "A superuser's file token.")],
                security=[{}],
                description="Authorised by a superuser's file token in `token`, not a header.",
            ),
            "delete": admin(
                "backups_delete", "Delete a backup", "backups", {"204": NO_CONTENT}, params=[key]
            ),
        },
        "/api/backups/{key}/restore": {
            "post": admin(
                "backups_restore",
                "Restore a backup (the server restarts)",
                "backups",
                {"204": NO_CONTENT},
                params=[key],
            )
        },
        "/api/crons": {
            "get": admin(
                "crons_list",
                "The built-in scheduled tasks",
                "crons",
                {
                    "200": ok(
                        {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"id": STRING, "expression": STRING},
                            },
                        }
                    )
                },
            )
        },
        "/api/crons/{jobId}": {
            "post": admin(
                "crons_run",
                "Run a built-in scheduled task now",
                "crons",
                {"204": NO_CONTENT},
                params=[path_param("jobId")],
            )
        },
    }


def _webhook_body() -> Schema:
    from baas.webhooks.models import EVENTS

    return {
        "type": "object",
        "properties": {
            "name": STRING,
            "collection": {
                "type": "string",
                "description": "A collection name or id; `*`: all.",
            },
            "events": {"type": "array", "items": {"type": "string", "enum": list(EVENTS)}},
            "url": {"type": "string", "format": "uri"},
            "enabled": BOOLEAN,
            "filter": STRING,
            "secret": STRING,
        },
    }


def _webhook_paths() -> Paths:
    webhook_id = path_param("webhookId")
    delivery_id = path_param("deliveryId")
    queued = ok({"type": "object", "properties": {"delivery": STRING}})
    return {
        "/api/webhooks": {
            "get": admin("webhooks_list", "Webhooks", "webhooks", {"200": ok(list_schema(OBJECT))}),
            "post": admin(
                "webhooks_create",
                "Create a webhook (the answer shows its secret)",
                "webhooks",
                {"200": ok(OBJECT)},
                body=json_body({**_webhook_body(), "required": ["collection", "events", "url"]}),
            ),
        },
        "/api/webhooks/{webhookId}": {
            "get": admin(
                "webhooks_view", "A webhook", "webhooks", {"200": ok(OBJECT)}, params=[webhook_id]
            ),
            "patch": admin(
                "webhooks_update",
                "Change a webhook",
                "webhooks",
                {"200": ok(OBJECT)},
                params=[webhook_id],
                body=json_body(_webhook_body()),
            ),
            "delete": admin(
                "webhooks_delete",
                "Delete a webhook",
                "webhooks",
                {"204": NO_CONTENT},
                params=[webhook_id],
            ),
        },
        "/api/webhooks/{webhookId}/deliveries": {
            "get": admin(
                "webhooks_deliveries",
                "A webhook's delivery log",
                "webhooks",
                {"200": ok(list_schema(OBJECT))},
                params=[webhook_id, *PAGE],
            )
        },
        "/api/webhooks/{webhookId}/test": {
            "post": admin(
                "webhooks_test",
                "Send a test event",
                "webhooks",
                {"200": queued},
                params=[webhook_id],
            )
        },
        "/api/webhooks/deliveries/{deliveryId}": {
            "get": admin(
                "webhooks_delivery",
                "One delivery, with its attempts",
                "webhooks",
                {"200": ok(OBJECT)},
                params=[delivery_id],
            )
        },
        "/api/webhooks/deliveries/{deliveryId}/replay": {
            "post": admin(
                "webhooks_replay",
                "Send a delivery again",
                "webhooks",
                {"200": queued},
                params=[delivery_id],
            )
        },
    }


def _job_body() -> Schema:
    from baas.jobs.kinds import KINDS

    return {
        "type": "object",
        "properties": {
            "name": STRING,
            "schedule": {"type": "string", "description": "Five cron fields or a @macro."},
            "kind": {"type": "string", "enum": list(KINDS)},
            "config": OBJECT,
            "enabled": BOOLEAN,
        },
    }


def _job_paths() -> Paths:
    job_id = path_param("jobId")
    return {
        "/api/jobs": {
            "get": admin("jobs_list", "Scheduled jobs", "jobs", {"200": ok(OBJECTS)}),
            "post": admin(
                "jobs_create",
                "Create a scheduled job",
                "jobs",
                {"200": ok(OBJECT)},
                body=json_body({**_job_body(), "required": ["name", "schedule", "kind"]}),
            ),
        },
        "/api/jobs/{jobId}": {
            "get": admin(
                "jobs_view", "A scheduled job", "jobs", {"200": ok(OBJECT)}, params=[job_id]
            ),
            "patch": admin(
                "jobs_update",
                "Change a scheduled job",
                "jobs",
                {"200": ok(OBJECT)},
                params=[job_id],
                body=json_body(_job_body()),
            ),
            "delete": admin(
                "jobs_delete",
                "Delete a scheduled job",
                "jobs",
                {"204": NO_CONTENT},
                params=[job_id],
            ),
        },
        "/api/jobs/{jobId}/run": {
            "post": admin(
                "jobs_run",
                "Run a job now (in the background)",
                "jobs",
                {"204": NO_CONTENT},
                params=[job_id],
            )
        },
    }


def _push_paths() -> Paths:
    return {
        "/api/push/send": {
            "post": admin(
                "push_send",
                "Send a notification to a user's or a topic's devices",
                "push",
                {"200": ok(OBJECT)},
                body=fields_body(
                    {
                        "user": {"type": "string", "description": "A user id (or `topic`)."},
                        "topic": STRING,
                        "collection": STRING,
                        "title": STRING,
                        "body": STRING,
                        "data": OBJECT,
                    }
                ),
                description="Superusers and unscoped API keys.",
            )
        },
        "/api/push/notifications/{notificationId}": {
            "get": admin(
                "push_notification",
                "A notification and its per-device outcomes",
                "push",
                {"200": ok(OBJECT)},
                params=[path_param("notificationId")],
            )
        },
    }


def _console_paths() -> Paths:
    return {
        "/api/x/rules/check": {
            "post": admin(
                "rules_check",
                "Check that a rule compiles against a collection",
                "console",
                {
                    "200": ok(
                        {"type": "object", "properties": {"valid": BOOLEAN, "message": STRING}}
                    )
                },
                body=fields_body({"collection": OBJECT, "rule": STRING}, ["collection"]),
            )
        },
        "/api/x/rules/preview": {
            "post": admin(
                "rules_preview",
                "The records a rule would show a given user",
                "console",
                {"200": ok(OBJECT)},
                body=fields_body(
                    {
                        "collection": STRING,
                        "rule": {"type": ["string", "null"]},
                        "authCollection": STRING,
                        "authRecord": STRING,
                        "filter": STRING,
                    },
                    ["collection"],
                ),
            )
        },
        "/api/x/views/preview": {
            "post": admin(
                "views_preview",
                "Run a view collection's query without saving it",
                "console",
                {"200": ok(OBJECT)},
                body=fields_body({"name": STRING, "viewQuery": STRING}, ["viewQuery"]),
            )
        },
    }
