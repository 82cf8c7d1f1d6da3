"""Records API (wire-api §2): parse the request, call RecordService, serialise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView
from baas.api.fields_picker import parse_fields, pick
from baas.api.listing import envelope, parse_page
from baas.collections.api.views import find_collection
from baas.collections.models import Collection
from baas.collections.records import RecordService
from baas.collections.records.payload import from_request
from baas.collections.records.serialize import serialize, visible_fields
from baas.collections.records.service import Call

_UNPREFIXED = frozenset(("CONTENT_TYPE", "CONTENT_LENGTH"))


def call_of(view: ApiView, request: Request) -> Call:
    # ``request.headers`` with its names lowercased and dashes as underscores, read
    # straight from the WSGI environ (HTTP_X_NAME -> x_name, and the two unprefixed ones)
    headers = {
        (key[5:] if key.startswith("HTTP_") else key).lower(): value
        for key, value in request.META.items()
        if (key.startswith("HTTP_") and len(key) > 5) or key in _UNPREFIXED
    }
    return Call(
        viewer=view.auth(request),
        method=request.method or "GET",
        query={k: str(v) for k, v in request.query_params.items()},
        headers=headers,
    )


def render(
    collection: Collection, rows: list[dict[str, Any]], query: Mapping[str, str], call: Call
) -> list[dict[str, Any]]:
    """Rows as the caller may see them, with ``?expand=`` and ``?fields=`` applied."""
    from baas.collections.records.expand import expand_rows

    visible = visible_fields(collection, call.viewer)
    items = [serialize(collection, row, call.viewer, visible=visible) for row in rows]
    if query.get("expand"):
        expand_rows(collection, rows, items, query["expand"], call)
    if query.get("fields"):
        tree = parse_fields(query["fields"])
        items = [pick(item, tree) for item in items]
    return items


class RecordListView(ApiView):
    def get(self, request: Request, collection: str) -> Response:
        target = find_collection(collection)
        page = parse_page(request.query_params)
        call = call_of(self, request)
        found, total = RecordService().list_records(
            target,
            call,
            filter_text=request.query_params.get("filter"),
            sort_text=request.query_params.get("sort"),
            page=page,
            search_text=request.query_params.get("search"),  # docs/search.md
        )
        return Response(envelope(page, render(target, found, request.query_params, call), total))

    def post(self, request: Request, collection: str) -> Response:
        target = find_collection(collection)
        call = call_of(self, request)
        row = RecordService().create_record(target, from_request(request.data, request.FILES), call)
        return Response(render(target, [row], request.query_params, call)[0])


class RecordDetailView(ApiView):
    def get(self, request: Request, collection: str, record_id: str) -> Response:
        target = find_collection(collection)
        call = call_of(self, request)
        row = RecordService().get_record(target, record_id, call)
        return Response(render(target, [row], request.query_params, call)[0])

    def patch(self, request: Request, collection: str, record_id: str) -> Response:
        target = find_collection(collection)
        call = call_of(self, request)
        row = RecordService().update_record(
            target, record_id, from_request(request.data, request.FILES), call
        )
        return Response(render(target, [row], request.query_params, call)[0])

    def delete(self, request: Request, collection: str, record_id: str) -> Response:
        target = find_collection(collection)
        RecordService().delete_record(target, record_id, call_of(self, request))
        return Response(status=204)
