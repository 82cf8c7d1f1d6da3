"""Collections API (wire-api §1): superusers only; views parse, call SchemaService, serialise."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import SuperuserView
from baas.api.errors import BadRequest, NotFound, ValidationFailed, field_error
from baas.api.fields_picker import parse_fields, pick
from baas.api.listing import envelope, parse_page
from baas.collections.defaults import scaffolds
from baas.collections.models import Collection, lookup
from baas.collections.wire import collection_to_wire

SORTABLE = {
    "id": "id",
    "created": "created",
    "updated": "updated",
    "name": "name",
    "type": "type",
    "system": "system",
}


def find_collection(id_or_name: str) -> Collection:
    found = lookup(id_or_name)  # per-process cache, checked against the database
    if found is None:
        raise NotFound("Missing collection context.")
    return found


def _payload(request: Request) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict):
        raise BadRequest("Failed to load the submitted data due to invalid formatting.")
    return dict(data)


def _respond(request: Request, data: Any) -> Response:
    spec = request.query_params.get("fields")
    return Response(pick(data, parse_fields(spec)) if spec else data)


def _ordering(sort: str | None) -> list[str]:
    if not sort:
        return ["created", "id"]
    out = []
    for item in sort.split(","):
        item = item.strip()
        desc = item.startswith("-")
        name = item.lstrip("+-")
        if name not in SORTABLE:
            raise BadRequest()
        out.append(("-" if desc else "") + SORTABLE[name])
    return out


class CollectionListView(SuperuserView):
    def get(self, request: Request) -> Response:
        page = parse_page(request.query_params)
        query = Collection.objects.all().order_by(*_ordering(request.query_params.get("sort")))
        items = [collection_to_wire(c) for c in query]
        filter_text = request.query_params.get("filter")
        if filter_text:
            from baas.collections.api.collection_filter import matches

            items = [item for item in items if matches(filter_text, item)]
        total = None if page.skip_total else len(items)
        items = items[page.offset : page.offset + page.per_page]
        spec = request.query_params.get("fields")
        if spec:
            items = [pick(item, parse_fields(spec)) for item in items]
        return Response(envelope(page, items, total))

    def post(self, request: Request) -> Response:
        # the schema service loads sqlglot (7 MB a process): with the first schema change
        from baas.collections.schema import SchemaService

        collection = SchemaService().create_collection(_payload(request))
        return _respond(request, collection_to_wire(collection))


class CollectionDetailView(SuperuserView):
    def get(self, request: Request, id_or_name: str) -> Response:
        return _respond(request, collection_to_wire(find_collection(id_or_name)))

    def patch(self, request: Request, id_or_name: str) -> Response:
        from baas.collections.schema import SchemaService

        collection = SchemaService().update_collection(
            find_collection(id_or_name), _payload(request)
        )
        return _respond(request, collection_to_wire(collection))

    def delete(self, request: Request, id_or_name: str) -> Response:
        from baas.collections.schema import SchemaService

        SchemaService().delete_collection(find_collection(id_or_name))
        return Response(status=204)


class CollectionTruncateView(SuperuserView):
    def delete(self, request: Request, id_or_name: str) -> Response:
        from baas.collections.schema import SchemaService

        collection = find_collection(id_or_name)
        if collection.is_view:
            raise BadRequest("View collections cannot be truncated.")
        SchemaService().truncate(collection)
        return Response(status=204)


class CollectionImportView(SuperuserView):
    def put(self, request: Request) -> Response:
        from baas.collections.schema import SchemaService

        data = _payload(request)
        items = data.get("collections")
        if not items or not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValidationFailed(
                "Failed to import collections.",
                {"collections": field_error("validation_required", "Cannot be blank.")},
            )
        SchemaService().import_collections(items, delete_missing=bool(data.get("deleteMissing")))
        return Response(status=204)


class ScaffoldsView(SuperuserView):
    def get(self, request: Request) -> Response:
        return Response(scaffolds())
