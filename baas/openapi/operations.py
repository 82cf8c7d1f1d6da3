"""Building blocks of operations: parameters, bodies, responses, security."""

from __future__ import annotations

from typing import Any

from baas.openapi.schemas import Schema, ref

Operation = dict[str, Any]
Paths = dict[str, dict[str, Operation]]  # path → method → operation

# Guests may call (the collection's rule decides); a token is optional.
OPTIONAL_AUTH: list[dict[str, list[str]]] = [{}, {"authToken": []}, {"apiKey": []}]
REQUIRED_AUTH: list[dict[str, list[str]]] = [{"authToken": []}, {"apiKey": []}]


def query(name: str, schema: Schema, description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        out["description"] = description
    return out


def path_param(name: str, description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
        "description": description,
    }


STRING = {"type": "string"}
OBJECT: Schema = {"type": "object"}
OBJECTS: Schema = {"type": "array", "items": OBJECT}
STRINGS: Schema = {"type": "array", "items": STRING}
INTEGER = {"type": "integer", "minimum": 0, "maximum": 1_000_000}
EXPAND = query("expand", STRING, "Relations to expand: `rel1,rel2.nested` (wire-api §2.3).")
FIELDS = query("fields", STRING, "Keys to return: `id,title,expand.author.name` (§2.4).")
FILTER = query("filter", STRING, "A filter expression, ANDed with the list rule (§3).")
PAGE = [
    query("page", INTEGER, "Page number (default 1)."),
    query("perPage", INTEGER, "Items per page (default 30, at most 1000)."),
    query("skipTotal", {"type": "boolean"}, "No totals (`totalItems`/`totalPages` are -1)."),
]
LIST_PARAMS = [
    *PAGE,
    query("sort", STRING, "Comma list of fields, `-` for descending; `@random`."),
    FILTER,
    EXPAND,
    FIELDS,
]
VIEW_PARAMS = [EXPAND, FIELDS]


def json_body(schema: Schema, *, multipart: bool = False, required: bool = True) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if multipart:
        content["multipart/form-data"] = {"schema": schema}
    return {"required": required, "content": content}


def fields_body(properties: dict[str, Schema], required: list[str] | None = None) -> dict:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return json_body(schema)


def ok(schema: Schema | None, description: str = "OK") -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


NO_CONTENT = {"description": "Done (no body)."}
ERROR = {
    "description": "The error envelope: 400 bad input, 401 no auth, 403 forbidden, 404 not found.",
    "content": {"application/json": {"schema": ref("Error")}},
}


def operation(
    operation_id: str,
    summary: str,
    tag: str,
    responses: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    security: list[dict[str, list[str]]] = OPTIONAL_AUTH,
    description: str = "",
) -> Operation:
    op: Operation = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "security": security,
        "responses": {**responses, "default": ERROR},
    }
    if description:
        op["description"] = description
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = body
    return op
