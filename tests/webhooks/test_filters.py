"""A webhook's filter is checked against the event's record: the state a create or an
update wrote, and the last state of a deleted record (its multi-relations included)."""

from __future__ import annotations

from typing import Any

import pytest

from baas.webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def posts(make_collection: Any) -> dict[str, Any]:
    tags = make_collection(
        {"name": "tags", "type": "base", "fields": [{"name": "name", "type": "text"}]}
    )
    fields = [
        {"name": "title", "type": "text"},
        {"name": "status", "type": "text"},
        {"name": "tags", "type": "relation", "collectionId": tags["id"], "maxSelect": 5},
    ]
    return make_collection({"name": "posts", "type": "base", "fields": fields})


def hook(posts: dict[str, Any], filter_text: str) -> Webhook:
    return Webhook.objects.create(
        collection=posts["id"], events=["create", "update", "delete"], url=URL, filter=filter_text
    )


@pytest.fixture
def write(api: Any, superuser_token: str, django_capture_on_commit_callbacks: Any) -> Any:
    """Make a write as a superuser, then send its events as the commit would (the
    deliveries they queue stay in the test's transaction: no receiver is called)."""

    def make(method: str, path: str, **body: Any) -> Any:
        with django_capture_on_commit_callbacks() as callbacks:
            answer = api.request(method, path, json=body or None, token=superuser_token)
            assert answer.status_code in (200, 204), answer.content
        for callback in callbacks:
            callback()
        return answer.json() if answer.status_code == 200 else None

    return make


def sent(webhook: Webhook) -> list[tuple[str, str, str]]:
    found = Delivery.objects.filter(webhook=webhook).order_by("created")
    return [(d.event, d.payload["record"]["id"], d.payload["record"]["status"]) for d in found]


def test_a_delete_is_sent_only_when_the_last_state_matches(
    posts: dict[str, Any], write: Any
) -> None:
    webhook = hook(posts, "status = 'published'")
    path = "/api/collections/posts/records"
    draft = write("POST", path, title="d", status="draft")
    shown = write("POST", path, title="p", status="published")
    hidden = write("POST", path, title="h", status="published")
    write("PATCH", f"{path}/{hidden['id']}", status="draft")
    write("DELETE", f"{path}/{draft['id']}")
    write("DELETE", f"{path}/{hidden['id']}")
    write("DELETE", f"{path}/{shown['id']}")
    assert sent(webhook) == [
        ("create", shown["id"], "published"),
        ("create", hidden["id"], "published"),
        ("delete", shown["id"], "published"),
    ]


def test_a_deleted_records_multi_relations_are_its_last_ones(
    posts: dict[str, Any], write: Any
) -> None:
    urgent = write("POST", "/api/collections/tags/records", name="urgent")
    calm = write("POST", "/api/collections/tags/records", name="calm")
    webhook = Webhook.objects.create(
        collection=posts["id"], events=["delete"], url=URL, filter="tags.name ?= 'urgent'"
    )
    path = "/api/collections/posts/records"
    both = write("POST", path, title="both", status="x", tags=[calm["id"], urgent["id"]])
    one = write("POST", path, title="calm", status="x", tags=[calm["id"]])
    for record in (both, one):
        write("DELETE", f"{path}/{record['id']}")
    [delivery] = Delivery.objects.filter(webhook=webhook)
    assert delivery.event == "delete"
    assert delivery.payload["record"]["id"] == both["id"]
    assert delivery.payload["record"]["tags"] == [calm["id"], urgent["id"]]


def test_a_filter_the_schema_no_longer_supports_sends_nothing(
    posts: dict[str, Any], write: Any
) -> None:
    webhook = hook(posts, "nosuchfield = 1")  # saved before the field went away
    record = write("POST", "/api/collections/posts/records", title="t")
    write("DELETE", f"/api/collections/posts/records/{record['id']}")
    assert sent(webhook) == []
