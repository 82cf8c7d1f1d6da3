"""``POST /api/batch`` (wire-api §7.1): sub-requests in one transaction, all or nothing."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from django.db import transaction
from django.http import QueryDict
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView
from baas.api.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    ValidationFailed,
    field_error,
    to_api_error,
)
from baas.collections.api.records import render
from baas.collections.api.views import find_collection
from baas.collections.records import RecordService
from baas.collections.records.payload import Submission, from_request
from baas.collections.records.service import Call
from baas.collections.records.steps import abandon_all

RECORDS_URL = re.compile(r"^/api/collections/(?P<collection>[^/?#]+)/records(?:/(?P<id>[^/?#]+))?$")
FILE_KEY = re.compile(r"^requests(?:\.(\d+)\.|\[(\d+)\]\.)(.+)$")
INVALID = "Invalid batch request data."


@dataclass
class SubRequest:
    method: str
    url: str
    body: dict[str, Any]
    files: dict[str, list[Any]]


def _batch_settings() -> dict[str, Any]:
    from baas.settings_api.service import current

    return current().get("batch", {})


def _parse(request: Request) -> list[SubRequest]:
    data = request.data
    if hasattr(data, "getlist"):
        payload: Any = {}
        for raw in data.getlist("@jsonPayload"):
            try:
                payload = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise BadRequest(INVALID) from None
    else:
        payload = data
    items = payload.get("requests") if isinstance(payload, dict) else None
    if not items or not isinstance(items, list):
        raise ValidationFailed(
            INVALID, {"requests": field_error("validation_required", "Cannot be blank.")}
        )
    subs = []
    for item in items:
        if not isinstance(item, dict):
            raise BadRequest(INVALID)
        raw_body = item.get("body")
        body: dict[str, Any] = raw_body if isinstance(raw_body, dict) else {}
        subs.append(
            SubRequest(str(item.get("method", "")).upper(), str(item.get("url", "")), body, {})
        )
    for key in request.FILES:
        match = FILE_KEY.match(key)
        if match:
            index = int(match[1] or match[2])
            if index < len(subs):
                subs[index].files[match[3]] = request.FILES.getlist(key)
    return subs


def _files_querydict(files: dict[str, list[Any]]) -> Any:
    holder = QueryDict(mutable=True)
    for key, uploads in files.items():
        holder.setlist(key, uploads)
    return holder


class BatchView(ApiView):
    def post(self, request: Request) -> Response:
        config = _batch_settings()
        if not config.get("enabled"):
            raise Forbidden("Batch requests are not allowed.")
        subs = _parse(request)
        limit = int(config.get("maxRequests") or 50)
        if len(subs) > limit:
            raise ValidationFailed(
                INVALID,
                {
                    "requests": field_error(
                        "validation_length_too_long",
                        f"The length must be no more than {limit}.",
                        {"max": limit, "min": 0},
                    )
                },
            )
        base = Call(viewer=self.auth(request), method="POST", context="batch")
        deadline = time.monotonic() + float(config.get("timeout") or 3)
        results: list[dict[str, Any]] = []
        try:
            with transaction.atomic():
                for index, sub in enumerate(subs):
                    results.append(self._run(index, sub, base, deadline))
        except BatchFailed as failure:
            abandon_all()
            raise failure.error from None
        except BaseException:
            abandon_all()
            raise
        return Response(results)

    def _run(self, index: int, sub: SubRequest, base: Call, deadline: float) -> dict[str, Any]:
        try:
            if time.monotonic() > deadline:
                raise BadRequest("Batch request timeout.")
            return execute(sub, base)
        except BaseException as exc:
            error = to_api_error(exc)
            if error is None:
                raise
            raise BatchFailed(index, error) from exc


class BatchFailed(Exception):
    def __init__(self, index: int, inner: ApiError):
        self.error = ValidationFailed(
            "Batch transaction failed.",
            {
                "requests": {
                    str(index): {
                        "code": "batch_request_failed",
                        "message": "Batch request failed.",
                        "response": inner.body(),
                    }
                }
            },
        )
        super().__init__(self.error.message)


def execute(sub: SubRequest, base: Call) -> dict[str, Any]:
    parts = urlsplit(sub.url)
    match = RECORDS_URL.match(parts.path)
    if not match or sub.method not in {"POST", "PUT", "PATCH", "DELETE"}:
        raise BadRequest()
    record_id = match["id"]
    if (sub.method in {"POST", "PUT"}) == bool(record_id):
        raise BadRequest()
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    collection = find_collection(match["collection"])
    call = replace(base, method=sub.method, query=query)
    service = RecordService()
    submission = from_request(sub.body, _files_querydict(sub.files) if sub.files else None)
    if sub.method == "DELETE":
        assert record_id is not None
        service.delete_record(collection, record_id, call)
        return {"status": 204, "body": None}
    if sub.method == "PATCH" or (sub.method == "PUT" and _exists(collection, sub.body.get("id"))):
        target = record_id or str(sub.body.get("id"))
        update = Submission(
            values={k: v for k, v in submission.values.items() if k != "id"},
            modifiers=submission.modifiers,
            files=submission.files,
        )
        row = service.update_record(collection, target, update, replace(call, method="PATCH"))
    else:
        row = service.create_record(collection, submission, replace(call, method="POST"))
    return {"status": 200, "body": render(collection, [row], query, call)[0]}


def _exists(collection: Any, record_id: Any) -> bool:
    from baas.collections.records import store

    return bool(record_id) and bool(store.existing_ids(collection.id, [str(record_id)]))
