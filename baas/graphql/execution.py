"""One GraphQL request: parse, validate (with the limits), execute, format the errors.

Errors never carry internals: a resolver's ``ApiError`` (the record service's 400, 403,
404 ...) becomes ``{message, extensions: {status, data}}`` with the contract's message;
anything else is logged and reported as the contract's 500 message, inside a normal
GraphQL response (the endpoint itself never answers 500).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from baas.api.errors import DEFAULT_MESSAGES, ApiError
from baas.auth.context import AuthContext
from baas.collections.records.service import Call
from baas.graphql import limits
from baas.graphql import schema as schemas
from baas.graphql.resolvers import Context

log = logging.getLogger("baas.graphql")

MAX_SOURCE_LENGTH = 100_000
MAX_TOKENS = 20_000
SUGGESTION = re.compile(r" Did you mean .*\?$", re.DOTALL)


class RequestError(Exception):
    """The document cannot run: GraphQL errors and the HTTP status to send them with.

    ``malformed``: the request itself is not a GraphQL request (no query string, a body
    that is not an object ...): over HTTP that is the API's error envelope, while a
    document that does not parse or validate answers GraphQL's ``{"errors": [...]}``.
    """

    def __init__(self, errors: list[dict[str, Any]], status: int = 400, malformed: bool = False):
        super().__init__(errors[0]["message"] if errors else "")
        self.errors = errors
        self.status = status
        self.malformed = malformed


def request_error(message: str, status: int = 400, malformed: bool = True) -> RequestError:
    return RequestError([{"message": message}], status, malformed)


@dataclass
class Prepared:
    built: schemas.Built
    document: DocumentNode
    operation: OperationDefinitionNode
    variables: dict[str, Any] | None
    operation_name: str | None


def prepare(source: Any, variables: Any, operation_name: Any, viewer: AuthContext) -> Prepared:
    """Parse and validate against the current schema, or raise ``RequestError``."""
    if not isinstance(source, str) or not source.strip():
        raise request_error("A GraphQL query string is required.")
    if variables is not None and not isinstance(variables, dict):
        raise request_error("The variables must be a JSON object.")
    if operation_name is not None and not isinstance(operation_name, str):
        raise request_error("The operationName must be a string.")
    built = schemas.current(viewer)
    try:
        document = parse(source, max_tokens=MAX_TOKENS, max_source_length=MAX_SOURCE_LENGTH)
    except GraphQLError as error:
        raise RequestError([format_error(error)]) from None
    rules = [*specified_rules, limits.DepthLimit, limits.complexity_rule(variables)]
    if not viewer.is_superuser:
        rules.append(NoSchemaIntrospectionCustomRule)  # the schema is superuser-only, as in REST
    try:
        errors = validate(built.schema, document, rules)
    except RecursionError:  # graphql-core's parser caps nesting; this is a second net
        raise request_error("The document is nested too deeply.", malformed=False) from None
    if errors:
        found = [format_error(e) for e in errors]
        if not viewer.is_superuser:  # "Did you mean 'vault'?" would list the schema's names
            for item in found:
                item["message"] = SUGGESTION.sub("", item["message"])
        raise RequestError(found)
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        raise request_error("Unknown or ambiguous operation (set operationName).", malformed=False)
    return Prepared(built, document, operation, variables, operation_name)


def run(prepared: Prepared, call: Call, root_value: Any = None) -> dict[str, Any]:
    """Execute (synchronously: the resolvers use the database) and shape the result."""
    result = execute(
        prepared.built.schema,
        prepared.document,
        root_value=root_value,
        context_value=Context(call),
        variable_values=prepared.variables,
        operation_name=prepared.operation_name,
    )
    assert not hasattr(result, "__await__")  # no async resolvers
    out: dict[str, Any] = {"data": result.data}  # type: ignore[union-attr]
    if result.errors:  # type: ignore[union-attr]
        out["errors"] = [format_error(e) for e in result.errors]  # type: ignore[union-attr]
    return out


def format_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if isinstance(original, ApiError):
        out["message"] = original.message
        out["extensions"] = {"status": original.status, "data": original.data}
    elif original is not None and not isinstance(original, GraphQLError):
        log.error("graphql: resolver failed", exc_info=original)
        out["message"] = DEFAULT_MESSAGES[500]
        out["extensions"] = {"status": 500}
    return out
