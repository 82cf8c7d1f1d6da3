"""The record service enforces an API key's scope on every path, not only on REST URLs."""

from __future__ import annotations

from typing import Any

import pytest

from baas.api.errors import Forbidden
from baas.api.listing import Page
from baas.auth.context import ApiKeyScope, AuthContext
from baas.collections.models import SUPERUSERS_ID, Collection
from baas.collections.records import RecordService
from baas.collections.records.payload import Submission
from baas.collections.records.service import Call


def key_call(collections: set[str], actions: set[str]) -> Call:
    superusers = Collection.objects.get(id=SUPERUSERS_ID)
    viewer = AuthContext(
        record={"id": "key"},
        collection=superusers,
        api_key=True,
        scopes=ApiKeyScope(frozenset(collections), frozenset(actions)),
    )
    return Call(viewer=viewer)


def test_scope_limits_actions_and_collections(make_collection: Any) -> None:
    make_collection({"name": "notes", "fields": [{"name": "title", "type": "text"}]})
    make_collection({"name": "other", "fields": [{"name": "title", "type": "text"}]})
    notes, other = Collection.objects.get(name="notes"), Collection.objects.get(name="other")
    service = RecordService()
    reader = key_call({"notes"}, {"list", "view"})
    row = service.create_record(notes, Submission(values={"title": "a"}), key_call(set(), set()))
    assert (
        service.list_records(
            notes, reader, filter_text=None, sort_text=None, page=Page(1, 30, False)
        )[1]
        == 1
    )
    assert service.get_record(notes, row["id"], reader)["title"] == "a"
    with pytest.raises(Forbidden):
        service.create_record(notes, Submission(values={"title": "b"}), reader)
    with pytest.raises(Forbidden):
        service.update_record(notes, row["id"], Submission(values={"title": "b"}), reader)
    with pytest.raises(Forbidden):
        service.delete_record(notes, row["id"], reader)
    with pytest.raises(Forbidden):
        service.list_records(
            other, reader, filter_text=None, sort_text=None, page=Page(1, 30, False)
        )
