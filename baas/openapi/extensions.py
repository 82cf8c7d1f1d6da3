"""Paths beyond the peer that anyone may call (the caller's auth decides): GraphQL, the
OAuth2 redirect, push devices, TOTP and passkeys (``/api/x/...``) and the hooks'
custom routes (``/api/hooks/...``, as the hooks directory registers them now)."""

from __future__ import annotations

from typing import Any

from baas.openapi.operations import (
    NO_CONTENT,
    OBJECT,
    OBJECTS,
    OPTIONAL_AUTH,
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
from baas.openapi.schemas import Schema, ref

AUTH_COLLECTION = path_param("collection", "An auth collection's id or name.")
# A handler's answer is JSON unless it returns its own HttpResponse (docs/hooks.md).
ANY_CONTENT: dict[str, Any] = {"application/json": {"schema": {}}, "*/*": {"schema": {}}}

GRAPHQL_ERROR: Schema = {
    "type": "object",
    "properties": {
        "message": STRING,
        "locations": {"type": "array", "items": OBJECT},
        "path": {"type": "array", "items": {"type": ["string", "integer"]}},
        "extensions": {
            "type": "object",
            "description": "`status` and `data`: the REST error's, for errors from the "
            "record service (a rule, an API key's scope, validation).",
        },
    },
    "required": ["message"],
}
GRAPHQL_SCHEMAS: dict[str, Schema] = {
    "GraphQLRequest": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1},
            "variables": {"type": ["object", "null"]},
            "operationName": {"type": ["string", "null"]},
        },
        "required": ["query"],
    },
    "GraphQLResponse": {
        "type": "object",
        "properties": {
            "data": {"type": ["object", "null"]},
            "errors": {"type": "array", "items": GRAPHQL_ERROR},
        },
    },
    "GraphQLErrors": {
        "type": "object",
        "description": "A document that cannot run (syntax, unknown field, a limit).",
        "properties": {"errors": {"type": "array", "items": GRAPHQL_ERROR}},
        "required": ["errors"],
    },
}


def public_paths() -> Paths:
    return {
        **graphql_paths(),
        **oauth2_redirect_paths(),
        **push_device_paths(),
        **second_factor_paths(),
        **hook_route_paths(),
    }


def graphql_paths() -> Paths:
    responses = {
        "200": ok(ref("GraphQLResponse"), "The document ran: `data`, and `errors` if any."),
        "400": {
            "description": "Not a GraphQL request (the error envelope) or a document that "
            "cannot run (`errors`).",
            "content": {
                "application/json": {"schema": {"anyOf": [ref("Error"), ref("GraphQLErrors")]}}
            },
        },
    }
    description = (
        "The schema generated from the collections (docs/graphql.md); rules, hidden "
        "fields and API-key scopes apply as on the records API. Subscriptions: a "
        "WebSocket at the same path (graphql-transport-ws)."
    )
    return {
        "/api/graphql": {
            "post": operation(
                "graphql",
                "Run a GraphQL query or mutation",
                "graphql",
                responses,
                body=json_body(ref("GraphQLRequest")),
                description=description,
            ),
            "get": operation(
                "graphql_get",
                "Run a GraphQL query (no mutations over GET)",
                "graphql",
                responses,
                params=[
                    {**query("query", {"type": "string", "minLength": 1}), "required": True},
                    query("variables", STRING, "A JSON object."),
                    query("operationName", STRING),
                ],
                description=description,
            ),
        }
    }


def oauth2_redirect_paths() -> Paths:
    redirect = {"307": {"description": "To the page that tells the user to close the window."}}
    form = {
        "state": STRING,
        "code": STRING,
        "error": STRING,
    }
    params = [query(name, STRING) for name in form]
    return {
        "/api/oauth2-redirect": {
            "get": operation(
                "oauth2_redirect",
                "The OAuth2 provider's redirect (forwarded to the realtime client `state`)",
                "auth",
                redirect,
                params=params,
            ),
            "post": operation(
                "oauth2_redirect_form_post",
                "The OAuth2 provider's redirect (`response_mode=form_post`)",
                "auth",
                redirect,
                body={
                    "required": False,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {"type": "object", "properties": form}
                        }
                    },
                },
            ),
        }
    }


def push_device_paths() -> Paths:
    device = {
        "type": "object",
        "properties": {
            "id": STRING,
            "platform": STRING,
            "token": STRING,
            "topics": {"type": "array", "items": STRING},
            "created": STRING,
            "updated": STRING,
        },
    }
    user = "Signed-in users (not API keys): the caller's own devices."
    return {
        "/api/push/devices": {
            "get": operation(
                "push_devices_list",
                "The caller's devices",
                "push",
                {"200": ok({"type": "array", "items": device})},
                security=REQUIRED_AUTH,
                description=user,
            ),
            "post": operation(
                "push_devices_register",
                "Register (or refresh) a device",
                "push",
                {"200": ok(device)},
                body=fields_body(
                    {
                        "token": STRING,
                        "platform": {"type": "string", "enum": ["fcm", "apns"]},
                        "topics": {"type": "array", "items": STRING},
                    },
                    ["token", "platform"],
                ),
                security=REQUIRED_AUTH,
                description=user,
            ),
            "delete": operation(
                "push_devices_forget",
                "Forget a device by its token (sign-out on the device)",
                "push",
                {"204": NO_CONTENT},
                body=fields_body({"token": STRING}, ["token"]),
                security=REQUIRED_AUTH,
                description=user,
            ),
        },
        "/api/push/devices/{deviceId}": {
            "delete": operation(
                "push_devices_delete",
                "Forget a device by its id",
                "push",
                {"204": NO_CONTENT},
                params=[path_param("deviceId")],
                security=REQUIRED_AUTH,
                description=user,
            )
        },
    }


def second_factor_paths() -> Paths:
    """TOTP and passkeys (docs/auth.md): the signed-in record of ``{collection}``."""
    base = "/api/x/collections/{collection}"
    auth = ok(OBJECT, "`{token, record}`, as auth-with-password.")

    def op(op_id: str, summary: str, responses: dict, **kw: Any) -> Operation:
        params = [AUTH_COLLECTION, *kw.pop("params", [])]
        return operation(op_id, summary, "auth", responses, params=params, **kw)

    mine = {"security": REQUIRED_AUTH}
    return {
        f"{base}/totp": {
            "post": op("totp_start", "Start a TOTP enrolment", {"200": ok(OBJECT)}, **mine),
            "delete": op(
                "totp_remove",
                "Remove the TOTP authenticator (needs a current code)",
                {"204": NO_CONTENT},
                body=fields_body({"code": STRING}, ["code"]),
                **mine,
            ),
        },
        f"{base}/totp/confirm": {
            "post": op(
                "totp_confirm",
                "Confirm the enrolment with a code; returns recovery codes",
                {"200": ok({"type": "object", "properties": {"recoveryCodes": STRINGS}})},
                body=fields_body({"code": STRING}, ["code"]),
                **mine,
            )
        },
        f"{base}/auth-with-totp": {
            "post": op(
                "auth_with_totp",
                "Second factor: a TOTP or recovery code",
                {"200": auth},
                body=fields_body({"mfaId": STRING, "code": STRING}, ["mfaId", "code"]),
            )
        },
        f"{base}/passkeys": {
            "get": op("passkeys_list", "The caller's passkeys", {"200": ok(OBJECTS)}, **mine),
            "post": op(
                "passkeys_begin", "Start a passkey registration", {"200": ok(OBJECT)}, **mine
            ),
        },
        f"{base}/passkeys/register": {
            "post": op(
                "passkeys_register",
                "Finish a passkey registration",
                {"200": ok({"type": "object", "properties": {"id": STRING, "name": STRING}})},
                body=fields_body(
                    {"ceremonyId": STRING, "credential": OBJECT, "name": STRING}, ["ceremonyId"]
                ),
                **mine,
            )
        },
        f"{base}/passkeys/{{passkeyId}}": {
            "delete": op(
                "passkeys_delete",
                "Remove a passkey",
                {"204": NO_CONTENT},
                params=[path_param("passkeyId")],
                **mine,
            )
        },
        f"{base}/passkey-options": {
            "post": op(
                "passkey_options",
                "A sign-in challenge for passkeys",
                {"200": ok(OBJECT)},
                body=json_body({"type": "object", "properties": {"mfaId": STRING}}, required=False),
            )
        },
        f"{base}/auth-with-passkey": {
            "post": op(
                "auth_with_passkey",
                "Sign in with a passkey",
                {"200": auth},
                body=fields_body({"ceremonyId": STRING, "credential": OBJECT}, ["ceremonyId"]),
            )
        },
    }


def hook_route_paths() -> Paths:
    """The ``@route`` handlers loaded now (docs/hooks.md): their answers are theirs."""
    from baas.hooks.loader import registry
    from baas.hooks.registry import _PARAM

    paths: Paths = {}
    for route in registry().routes:
        url = "/api/hooks/" + route.path.strip("/")
        params = [path_param(name) for name in _PARAM.findall(route.path)]
        method = route.method.lower()
        body = None
        if method != "get":
            body = json_body(OBJECT, required=False)
        paths.setdefault(url, {})[method] = operation(
            f"hooks_{method}_{_slug(route.path)}",
            f"Custom route {route.method} {url}",
            "hooks",
            {
                "200": {"description": "The handler's answer.", "content": ANY_CONTENT},
                "204": NO_CONTENT,
            },
            params=params or None,
            body=body,
            security=OPTIONAL_AUTH,
            description=f"Served by `{route.source}`; its code decides who may call it.",
        )
    return paths


def hook_routes_fingerprint() -> tuple[tuple[str, str, str], ...]:
    from baas.hooks.loader import registry

    return tuple((r.method, r.path, r.source) for r in registry().routes)


def _slug(path: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in path.strip("/")) or "root"
