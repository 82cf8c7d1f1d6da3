"""Files API (wire-api §5): download and file tokens; views parse and delegate."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView
from baas.api.errors import Unauthorized, error_response, to_api_error
from baas.api.views import not_found
from baas.auth import tokens
from baas.storage import serving


def download(
    request: HttpRequest, collection: str, record_id: str, filename: str
) -> HttpResponseBase:
    if request.method not in ("GET", "HEAD"):
        return not_found(request)  # as on the peer: another method is the envelope's 404
    # A plain Django view: DRF's content negotiation would refuse ``Accept: image/*``.
    try:
        located = serving.locate(request, collection, record_id, filename)
        return serving.serve(request, located)
    except Exception as exc:
        error = to_api_error(exc)  # the envelope for ours and for a database outage
        if error is None:
            raise
        return error_response(error)


class FileTokenView(ApiView):
    """``POST /api/files/token``: a short-lived token for protected files (any auth record)."""

    def post(self, request: Request) -> Response:
        auth = self.auth(request)
        if auth.is_guest or auth.collection is None or auth.record is None:
            raise Unauthorized()
        token = tokens.issue(auth.collection, auth.record, "file", kind="fileToken")
        return Response({"token": token})
