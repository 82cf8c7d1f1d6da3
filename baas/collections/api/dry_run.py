"""``POST /api/collections/meta/dry-run-view`` (wire-api §1): try a view query first.

The console and the SDKs' ``collections.dryRunViewQuery`` send ``{query}`` and get back
``{fields, sample}``: the fields a view collection with that query would have, inferred
exactly as on create (``baas.collections.views``), and up to ``SAMPLE`` of its records,
read through a temporary view that is rolled back with the transaction that made it.
Nothing is saved; an invalid query is a 400 that says why.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import DatabaseError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import SuperuserView
from baas.api.errors import BadRequest
from baas.collections.api.sql import required_query
from baas.collections.models import Collection
from baas.collections.records import rows
from baas.collections.records.serialize import serialize
from baas.collections.validation import collection_id_for

SAMPLE = 10
INVALID = "Invalid view query. Raw error: \n{}"


class _Sampled(Exception):
    """Carries the sample out of the transaction that is then rolled back."""

    def __init__(self, sample: list[dict[str, Any]]) -> None:
        self.sample = sample


def dry_run(query: str, viewer: Any) -> dict[str, Any]:
    from baas.collections import views  # sqlglot: with the first dry run

    name = f"temp_view_{secrets.token_hex(3)}"
    temp = Collection(
        id=collection_id_for("view", name), name=name, type="view", options={"viewQuery": query}
    )
    try:
        temp.fields = views.infer_fields(temp)
        with transaction.atomic():
            views.create_view(temp)
            found = rows.fetch(temp, limit=SAMPLE)
            raise _Sampled([serialize(temp, row, viewer) for row in found])
    except _Sampled as done:
        return {"fields": temp.fields, "sample": done.sample}
    except views.ViewQueryError as exc:
        raise BadRequest(INVALID.format(exc)) from exc
    except DatabaseError as exc:
        raise BadRequest(INVALID.format(str(exc).splitlines()[0][:200])) from exc


class DryRunViewView(SuperuserView):
    def post(self, request: Request) -> Response:
        return Response(dry_run(required_query(request), self.auth(request)))
