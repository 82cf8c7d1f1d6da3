"""Console helpers under ``/api/x/`` (superusers only): rule checking, rule and view previews.

They take a collection as the editor holds it (unsaved changes included), normalise it
with the same code as ``POST /api/collections``, and read records only through
``RecordService``, so a preview shows exactly what the API would answer.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from django.db import transaction
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import SuperuserView
from baas.api.errors import ApiError, BadRequest, NotFound, ValidationFailed, field_error
from baas.api.listing import Page, envelope
from baas.auth.context import GUEST, AuthContext
from baas.collections.api.views import find_collection
from baas.collections.models import AUTH_RULE_NAMES, RULE_NAMES, Collection
from baas.collections.records import RecordService, rows
from baas.collections.records.serialize import serialize
from baas.collections.records.service import Call
from baas.collections.validation import normalize_collection

PREVIEW_ROWS = 20


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise BadRequest()
    return request.data


def _draft(data: Any) -> Collection:
    """The collection as sent by the editor, validated like a create/update, not saved."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            "Invalid collection.",
            {"collection": field_error("validation_required", "Cannot be blank.")},
        )
    existing = None
    if data.get("id"):
        existing = Collection.objects.filter(id=data["id"]).first()
    draft = dict(data)
    for name in RULE_NAMES + AUTH_RULE_NAMES:
        draft.pop(name, None)  # rules are what is being checked; don't fail on them here
    schema = normalize_collection(draft, existing=existing)
    if schema.type == "view":
        from baas.collections import views

        # A bad view query is reported by the save itself; rules then see no fields.
        with contextlib.suppress(views.ViewQueryError):
            schema.fields = views.infer_fields(schema)
    return schema.as_collection()


class RuleCheckView(SuperuserView):
    """``POST {collection, rule}`` → ``{"valid": true}`` or ``{"valid": false, "message"}``."""

    def post(self, request: Request) -> Response:
        data = _body(request)
        rule = data.get("rule")
        if not isinstance(rule, str):
            raise ValidationFailed(
                "Invalid rule.", {"rule": field_error("validation_required", "Cannot be blank.")}
            )
        collection = _draft(data.get("collection"))
        if not rule.strip():
            return Response({"valid": True, "message": ""})
        from baas.collections.expr import ExpressionError, check_expression

        try:
            check_expression(collection, rule)
        except ExpressionError as exc:
            return Response({"valid": False, "message": str(exc)})
        return Response({"valid": True, "message": ""})


def _viewer(data: dict[str, Any]) -> AuthContext:
    auth_name = data.get("authCollection")
    if not auth_name:
        return GUEST
    auth_collection = find_collection(str(auth_name))
    if not auth_collection.is_auth:
        raise BadRequest("The collection is not an auth collection.")
    record = rows.fetch_one(auth_collection, str(data.get("authRecord", "")))
    if record is None:
        raise NotFound("Missing auth record.")
    return AuthContext(record=record, collection=auth_collection)


class RulePreviewView(SuperuserView):
    """``POST {collection, rule?, authCollection?, authRecord?, filter?}``: the first records
    the list rule (the given one, or the saved one) lets that user — or a guest — see."""

    def post(self, request: Request) -> Response:
        data = _body(request)
        target = find_collection(str(data.get("collection", "")))
        viewer = _viewer(data)
        if "rule" in data:
            rule = data["rule"]
            if rule is not None and not isinstance(rule, str):
                raise BadRequest()
            target = copy.copy(target)
            target.rules = {**target.rules, "listRule": rule}
        page = Page(page=1, per_page=PREVIEW_ROWS, skip_total=False)
        call = Call(viewer=viewer, method="GET", context="default")
        try:
            found, total = RecordService().list_records(
                target, call, filter_text=data.get("filter") or None, sort_text=None, page=page
            )
        except ApiError as exc:
            return Response({"allowed": False, "status": exc.status, "message": exc.message})
        items = [serialize(target, row, viewer) for row in found]
        return Response({"allowed": True, **envelope(page, items, total)})


class ViewPreviewView(SuperuserView):
    """``POST {name?, viewQuery}``: the fields a view query would have and its first rows.

    The view is created for real inside a transaction that is then rolled back (DDL
    is transactional on SQLite and PostgreSQL), so the answer is what saving gives.
    """

    def post(self, request: Request) -> Response:
        from baas.collections import dynamic
        from baas.collections.schema import SchemaService
        from baas.collections.wire import collection_to_wire

        data = _body(request)
        draft = {
            "name": str(data.get("name") or "preview_view"),
            "type": "view",
            "viewQuery": data.get("viewQuery", ""),
            "listRule": None,
            "viewRule": None,
        }
        result: dict[str, Any] = {}
        try:
            with transaction.atomic():
                existing = Collection.objects.filter(name__iexact=draft["name"]).first()
                if existing is not None:
                    draft["name"] = f"{draft['name']}_preview"
                collection = SchemaService().create_collection(draft)
                page = Page(page=1, per_page=PREVIEW_ROWS, skip_total=False)
                found, total = RecordService().list_records(
                    collection,
                    Call(viewer=self.auth(request)),
                    filter_text=None,
                    sort_text=None,
                    page=page,
                )
                result = {
                    "fields": collection_to_wire(collection)["fields"],
                    **envelope(
                        page, [serialize(collection, r, self.auth(request)) for r in found], total
                    ),
                }
                raise _Rollback()
        except _Rollback:
            pass
        finally:
            if "collection" in locals():
                dynamic.forget(collection.id)
        return Response(result)


class _Rollback(Exception):
    pass
