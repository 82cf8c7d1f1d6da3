"""``/api/graphql`` over HTTP: POST ``{query, variables, operationName}``; GET for queries."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView
from baas.api.errors import ApiError
from baas.collections.api.records import call_of
from baas.graphql import execution

NOT_OVER_GET = "Only queries can be sent with GET; use POST."
NOT_OVER_HTTP = (
    "Subscriptions are served over the WebSocket at /api/graphql (graphql-transport-ws)."
)


class GraphQLView(ApiView):
    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict):
            return _errors(execution.request_error("The body must be a JSON object."))
        return self._run(
            request, body.get("query"), body.get("variables"), body.get("operationName"), False
        )

    def get(self, request: Request) -> Response:
        variables: Any = request.query_params.get("variables")
        if variables:
            try:
                variables = orjson.loads(variables)
            except orjson.JSONDecodeError:
                return _errors(execution.request_error("The variables must be a JSON object."))
        return self._run(
            request,
            request.query_params.get("query"),
            variables or None,
            request.query_params.get("operationName"),
            True,
        )

    def _run(
        self, request: Request, source: Any, variables: Any, name: Any, read_only: bool
    ) -> Response:
        call = call_of(self, request)
        try:
            prepared = execution.prepare(source, variables, name, call.viewer)
            kind = prepared.operation.operation.value
            if kind == "subscription":
                raise execution.request_error(NOT_OVER_HTTP, malformed=False)
            if read_only and kind != "query":
                raise execution.request_error(NOT_OVER_GET, status=405)
        except execution.RequestError as error:
            return _errors(error)
        return Response(execution.run(prepared, call))


def _errors(error: execution.RequestError) -> Response:
    """Not a GraphQL request: the API's error envelope (wire-api §0.1); a document that
    cannot run: GraphQL's ``{"errors": [...]}``."""
    if error.malformed:
        return Response(
            ApiError(error.errors[0]["message"], status=error.status).body(), status=error.status
        )
    return Response({"errors": error.errors}, status=error.status)
