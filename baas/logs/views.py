"""``/api/logs`` (wire-api §7.4): superusers only."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import SuperuserView
from baas.api.errors import NotFound
from baas.api.fields_picker import parse_fields, pick
from baas.api.listing import envelope, parse_page
from baas.logs import query, writer
from baas.logs.models import RequestLog


class LogListView(SuperuserView):
    def get(self, request: Request) -> Response:
        writer.flush()
        page = parse_page(request.query_params)
        items, total = query.list_logs(
            self.auth(request),
            request.query_params.get("filter"),
            request.query_params.get("sort"),
            page,
        )
        spec = request.query_params.get("fields")
        if spec:
            items = [pick(item, parse_fields(spec)) for item in items]
        return Response(envelope(page, items, total))

    def delete(self, request: Request) -> Response:
        writer.discard()
        RequestLog.objects.all().delete()
        return Response(status=204)


class LogStatsView(SuperuserView):
    def get(self, request: Request) -> Response:
        writer.flush()
        return Response(query.stats(self.auth(request), request.query_params.get("filter")))


class LogDetailView(SuperuserView):
    def get(self, request: Request, log_id: str) -> Response:
        writer.flush()
        found = query.get_log(log_id)
        if found is None:
            raise NotFound()
        return Response(found)
