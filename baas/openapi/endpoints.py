"""Paths that are not per collection: files (wire-api §5), realtime (§6), batch (§7.1),
health (§7.2), this document, and for superusers the collections, settings and logs."""

from __future__ import annotations

from typing import Any

from baas.openapi.operations import (
    FIELDS,
    FILTER,
    LIST_PARAMS,
    NO_CONTENT,
    OBJECT,
    OPTIONAL_AUTH,
    PAGE,
    REQUIRED_AUTH,
    STRING,
    Operation,
    Paths,
    fields_body,
    json_body,
    ok,
    operation,
    path_param,
    query,
)
from baas.openapi.schemas import list_schema, ref


def public_paths() -> Paths:
    token = {"type": "object", "properties": {"token": STRING}}
    batch_request = {
        "type": "object",
        "properties": {
            "method": {"type": "string", "enum": ["POST", "PUT", "PATCH", "DELETE"]},
            "url": {"type": "string", "examples": ["/api/collections/posts/records"]},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"type": "object"},
        },
        "required": ["method", "url"],
    }
    batch_result = {
        "type": "array",
        "items": {"type": "object", "properties": {"status": {"type": "integer"}, "body": {}}},
    }
    return {
        "/api/health": {"get": operation("health", "Health check", "system", {"200": ok(OBJECT)})},
        "/api/openapi.json": {
            "get": operation(
                "openapi",
                "This document",
                "system",
                {"200": ok(OBJECT)},
                description="Superusers; guests too when the `openapi.public` setting is on.",
            )
        },
        "/api/files/token": {
            "post": operation(
                "files_token",
                "A short-lived token for protected files",
                "files",
                {"200": ok(token)},
                security=REQUIRED_AUTH,
            )
        },
        "/api/files/{collection}/{recordId}/{filename}": {"get": _download()},
        "/api/realtime": {
            "get": operation(
                "realtime_connect",
                "Open the event stream (SSE)",
                "realtime",
                {
                    "200": {
                        "description": "`id:<clientId>`, `event:<topic>`, `data:<json>` messages; "
                        "the first is `PB_CONNECT` with the clientId.",
                        "content": {"text/event-stream": {"schema": STRING}},
                    }
                },
            ),
            "post": operation(
                "realtime_subscribe",
                "Set the client's subscriptions",
                "realtime",
                {"204": NO_CONTENT},
                body=fields_body(
                    {
                        "clientId": STRING,
                        "subscriptions": {
                            "type": "array",
                            "items": STRING,
                            "description": "`posts/*`, `posts/<id>`, `@oauth2`; "
                            "each may end with `?options=<urlencoded JSON>`.",
                        },
                    },
                    ["clientId"],
                ),
            ),
        },
        "/api/batch": {
            "post": operation(
                "batch",
                "Several record writes in one transaction",
                "batch",
                {"200": ok(batch_result)},
                body=fields_body(
                    {"requests": {"type": "array", "items": batch_request}}, ["requests"]
                ),
                description="Enabled by the `batch` setting; each request checks its rules.",
            )
        },
    }


def _download() -> Operation:
    return operation(
        "files_download",
        "Download a record's file",
        "files",
        {
            "200": {
                "description": "The file (Range requests give 206).",
                "content": {"application/octet-stream": {"schema": {}}},
            }
        },
        params=[
            path_param("collection", "Collection id or name."),
            path_param("recordId"),
            path_param("filename"),
            query("thumb", STRING, "`WxH`, `WxHt`, `WxHb`, `WxHf`, `0xH`, `Wx0` (images)."),
            query("download", {"type": "boolean"}, "Force `Content-Disposition: attachment`."),
            query("token", STRING, "A file token, for protected files."),
        ],
    )


def superuser_paths() -> Paths:
    """Administration endpoints (wire-api §1, §7.3, §7.4): superusers only."""
    collection = path_param("collection", "Collection id or name.")

    def admin(op_id: str, summary: str, tag: str, responses: dict, **kw: Any) -> Operation:
        return operation(op_id, summary, tag, responses, security=REQUIRED_AUTH, **kw)

    return {
        "/api/collections": {
            "get": admin(
                "collections_list",
                "List collections",
                "collections",
                {"200": ok(list_schema(OBJECT))},
                params=LIST_PARAMS,
            ),
            "post": admin(
                "collections_create",
                "Create a collection",
                "collections",
                {"200": ok(OBJECT)},
                body=json_body(ref("CollectionBody")),
            ),
        },
        "/api/collections/{collection}": {
            "get": admin(
                "collections_view",
                "View a collection",
                "collections",
                {"200": ok(OBJECT)},
                params=[collection, FIELDS],
            ),
            "patch": admin(
                "collections_update",
                "Update a collection (fields are replaced wholesale)",
                "collections",
                {"200": ok(OBJECT)},
                params=[collection],
                body=json_body(OBJECT, required=False),
            ),
            "delete": admin(
                "collections_delete",
                "Delete a collection and its records",
                "collections",
                {"204": NO_CONTENT},
                params=[collection],
            ),
        },
        "/api/collections/{collection}/truncate": {
            "delete": admin(
                "collections_truncate",
                "Delete every record of a collection",
                "collections",
                {"204": NO_CONTENT},
                params=[collection],
            )
        },
        "/api/collections/meta/scaffolds": {
            "get": admin(
                "collections_scaffolds", "Default collections", "collections", {"200": ok(OBJECT)}
            )
        },
        "/api/collections/meta/dry-run-view": {
            "post": admin(
                "collections_dry_run_view",
                "A view query's inferred fields and sample records ({query}); nothing is saved",
                "collections",
                {"200": ok(OBJECT)},
                body=json_body(OBJECT),
            )
        },
        "/api/sql": {
            "post": admin(
                "sql_run",
                "A read-only SELECT by collection and field names ({query}); values as text",
                "sql",
                {"200": ok(OBJECT)},
                body=json_body(OBJECT),
            )
        },
        "/api/settings": {
            "get": admin("settings_view", "The settings", "settings", {"200": ok(OBJECT)}),
            "patch": admin(
                "settings_update",
                "Change settings (partial)",
                "settings",
                {"200": ok(OBJECT)},
                body=json_body(OBJECT),
            ),
        },
        "/api/logs": {
            "get": admin(
                "logs_list",
                "Request logs",
                "logs",
                {"200": ok(list_schema(OBJECT))},
                params=[*PAGE, query("sort", STRING), FILTER],
            ),
            "delete": admin("logs_delete", "Delete every request log", "logs", {"204": NO_CONTENT}),
        },
        "/api/logs/stats": {
            "get": admin(
                "logs_stats",
                "Requests per hour",
                "logs",
                {"200": ok({"type": "array", "items": OBJECT})},
                params=[FILTER],
            )
        },
        "/api/logs/{logId}": {
            "get": admin(
                "logs_view",
                "One request log",
                "logs",
                {"200": ok(OBJECT)},
                params=[path_param("logId")],
            )
        },
    }


COLLECTION_BODY = {
    "type": "object",
    "description": "A collection (wire-api §1.1): name, type, fields, indexes and rules.",
    "properties": {
        "name": {"type": "string", "pattern": "^[a-zA-Z0-9_]+$"},
        "type": {"type": "string", "enum": ["base", "auth", "view"]},
        "fields": {"type": "array", "items": OBJECT},
        "indexes": {"type": "array", "items": STRING},
        "listRule": {"type": ["string", "null"]},
        "viewRule": {"type": ["string", "null"]},
        "createRule": {"type": ["string", "null"]},
        "updateRule": {"type": ["string", "null"]},
        "deleteRule": {"type": ["string", "null"]},
        "viewQuery": STRING,
    },
    "required": ["name"],
}

__all__ = ["COLLECTION_BODY", "OPTIONAL_AUTH", "public_paths", "superuser_paths"]
