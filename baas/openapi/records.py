"""Per-collection paths: records CRUD and aggregates (wire-api §2), auth (§4)."""

from __future__ import annotations

from typing import Any

from baas.collections.models import RULE_NAMES, Collection
from baas.openapi import schemas
from baas.openapi.operations import (
    FILTER,
    LIST_PARAMS,
    NO_CONTENT,
    OPTIONAL_AUTH,
    PAGE,
    REQUIRED_AUTH,
    STRING,
    VIEW_PARAMS,
    Operation,
    fields_body,
    json_body,
    ok,
    operation,
    path_param,
    query,
)
from baas.openapi.schemas import component, ref

RECORD_ID = path_param("recordId", "The record's id.")


def rule_note(collection: Collection, rule_name: str, detailed: bool) -> tuple[str, list]:
    """(description, security) of an operation guarded by ``rule_name``."""
    rule = collection.rule(rule_name)
    if rule is None:
        return "Superusers only (the rule is locked).", REQUIRED_AUTH
    if rule.strip() == "":
        return "Anyone, guests included.", OPTIONAL_AUTH
    text = f" `{rule}`" if detailed else ""
    return f"Callers who satisfy the {rule_name}{text}.", OPTIONAL_AUTH


def collection_paths(collection: Collection, detailed: bool) -> dict[str, dict[str, Operation]]:
    """``detailed``: the rules' text in descriptions (the superusers' document)."""
    name = collection.name
    base = f"/api/collections/{name}"
    record = ref(component("Record", collection))
    notes = {rule: rule_note(collection, rule, detailed) for rule in RULE_NAMES}
    has_files = any(f["type"] == "file" for f in collection.fields)

    def op(rule: str, op_id: str, summary: str, responses: dict, **kw: Any) -> Operation:
        description, security = notes[rule]
        return operation(
            f"{name}_{op_id}",
            summary,
            name,
            responses,
            security=security,
            description=description,
            **kw,
        )

    items: dict[str, Operation] = {
        "get": op(
            "listRule",
            "list",
            f"List {name} records",
            {"200": ok(ref(component("List", collection)))},
            params=LIST_PARAMS,
        )
    }
    one: dict[str, Operation] = {
        "get": op(
            "viewRule",
            "view",
            f"View a {name} record",
            {"200": ok(record)},
            params=[RECORD_ID, *VIEW_PARAMS],
        )
    }
    if not collection.is_view:
        create = ref(component("Create", collection))
        update = ref(component("Update", collection))
        items["post"] = op(
            "createRule",
            "create",
            f"Create a {name} record",
            {"200": ok(record)},
            params=VIEW_PARAMS,
            body=json_body(create, multipart=has_files),
        )
        one["patch"] = op(
            "updateRule",
            "update",
            f"Update a {name} record",
            {"200": ok(record)},
            params=[RECORD_ID, *VIEW_PARAMS],
            body=json_body(update, multipart=has_files, required=False),
        )
        one["delete"] = op(
            "deleteRule",
            "delete",
            f"Delete a {name} record",
            {"204": NO_CONTENT},
            params=[RECORD_ID],
        )
    paths = {
        f"{base}/records": items,
        f"{base}/records/{{recordId}}": one,
        f"{base}/aggregate": {"get": _aggregate(collection, notes["listRule"])},
    }
    if collection.is_auth:
        paths.update(auth_paths(collection))
    return paths


def _aggregate(collection: Collection, note: tuple[str, list]) -> Operation:
    params = [
        query("fn", STRING, "Comma list of `count`, `sum(f)`, `avg(f)`, `min(f)`, `max(f)`."),
        query("groupBy", STRING, "Comma list of fields to group by."),
        FILTER,
        query("sort", STRING, "Group fields or requested functions, `-` for descending."),
        *PAGE,
    ]
    return operation(
        f"{collection.name}_aggregate",
        f"Aggregate {collection.name} records",
        collection.name,
        {"200": ok(ref("AggregateList"))},
        params=params,
        security=note[1],
        description=f"Over the rows the list rule shows the caller. {note[0]}",
    )


def auth_paths(collection: Collection) -> dict[str, dict[str, Operation]]:
    """The auth endpoints of one auth collection (wire-api §4.2)."""
    name = collection.name
    base = f"/api/collections/{name}"
    auth = ok(ref(component("Auth", collection)))
    email = {"email": STRING}

    def post(action: str, summary: str, responses: dict, body: dict | None, **kw: Any) -> tuple:
        return f"{base}/{action}", {
            "post": operation(f"{name}_{_camel(action)}", summary, name, responses, body=body, **kw)
        }

    entries = [
        post(
            "auth-with-password",
            "Sign in with a password",
            {"200": auth},
            fields_body(
                {"identity": STRING, "password": STRING, "identityField": STRING},
                ["identity", "password"],
            ),
            params=VIEW_PARAMS,
        ),
        post("auth-refresh", "Renew the auth token", {"200": auth}, None, security=REQUIRED_AUTH),
        post(
            "auth-with-oauth2",
            "Sign in with an OAuth2 code",
            {"200": auth},
            fields_body(
                {
                    "provider": STRING,
                    "code": STRING,
                    "codeVerifier": STRING,
                    "redirectURL": STRING,
                    "createData": {"type": "object"},
                },
                ["provider", "code"],
            ),
        ),
        post(
            "request-otp",
            "Send a one-time password",
            {"200": ok({"type": "object", "properties": {"otpId": STRING}})},
            fields_body(email, ["email"]),
        ),
        post(
            "auth-with-otp",
            "Sign in with a one-time password",
            {"200": auth},
            fields_body({"otpId": STRING, "password": STRING}, ["otpId", "password"]),
        ),
        post(
            "request-verification",
            "Send a verification email",
            {"204": NO_CONTENT},
            fields_body(email, ["email"]),
        ),
        post(
            "confirm-verification",
            "Confirm an email address",
            {"204": NO_CONTENT},
            fields_body({"token": STRING}, ["token"]),
        ),
        post(
            "request-password-reset",
            "Send a password reset email",
            {"204": NO_CONTENT},
            fields_body(email, ["email"]),
        ),
        post(
            "confirm-password-reset",
            "Set a new password with a reset token",
            {"204": NO_CONTENT},
            fields_body(
                {"token": STRING, "password": STRING, "passwordConfirm": STRING},
                ["token", "password", "passwordConfirm"],
            ),
        ),
        post(
            "request-email-change",
            "Send an email change confirmation",
            {"204": NO_CONTENT},
            fields_body({"newEmail": STRING}, ["newEmail"]),
            security=REQUIRED_AUTH,
        ),
        post(
            "confirm-email-change",
            "Confirm an email change",
            {"204": NO_CONTENT},
            fields_body({"token": STRING, "password": STRING}, ["token", "password"]),
        ),
    ]
    paths: dict[str, dict[str, Operation]] = dict(entries)
    paths[f"{base}/auth-methods"] = {
        "get": operation(
            f"{name}_authMethods",
            "The sign-in methods this collection offers",
            name,
            {"200": ok({"type": "object"})},
            params=[query("fields", STRING)],
        )
    }
    paths[f"{base}/impersonate/{{recordId}}"] = {
        "post": operation(
            f"{name}_impersonate",
            "A token for another user (superusers)",
            name,
            {"200": auth},
            params=[RECORD_ID],
            body=json_body(
                {"type": "object", "properties": {"duration": {"type": "integer", "minimum": 0}}},
                required=False,
            ),
            security=REQUIRED_AUTH,
        )
    }
    return paths


def _camel(action: str) -> str:
    head, *rest = action.split("-")
    return head + "".join(part.capitalize() for part in rest)


def collection_schemas(
    collection: Collection, described: dict[str, str]
) -> dict[str, schemas.Schema]:
    """``described``: id -> name of every collection in the document (expand targets)."""
    record = schemas.record_schema(collection, described)
    out = {
        component("Record", collection): record,
        component("List", collection): schemas.list_schema(ref(component("Record", collection))),
    }
    if not collection.is_view:
        out[component("Create", collection)] = schemas.body_schema(collection, create=True)
        out[component("Update", collection)] = schemas.body_schema(collection, create=False)
    if collection.is_auth:
        out[component("Auth", collection)] = schemas.auth_response_schema(collection)
    return out
