"""Beyond the peer, under ``/api/x/`` (paths the SDKs never call): admin user actions."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import SuperuserView
from baas.api.errors import NotFound
from baas.auth import records
from baas.auth.api.common import auth_collection
from baas.collections.records import rows


class ForceLogoutView(SuperuserView):
    """``POST /api/x/collections/{c}/records/{id}/logout``: rotate ``tokenKey`` (wire-api §4.5)."""

    def post(self, request: Request, collection: str, record_id: str) -> Response:
        target = auth_collection(collection)
        if rows.fetch_one(target, record_id) is None:
            raise NotFound()
        records.rotate_token_key(target, record_id)
        return Response(status=204)
