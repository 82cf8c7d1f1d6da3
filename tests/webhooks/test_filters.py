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


def fired(api: Any, token: str, capture: Any, method: str, path: str, **body: Any) -> Any:
    """Make the write, then send its events as the commit would (the deliveries they
    queue stay in the test's transaction: no receiver is called)."""
    with capture() as callbacks:
        answer = api.request(method, path, json=body or None, token=token)
        assert answer.status_code in (200, 204), answer.content
    for callback in callbacks:
        callback()
    return answer.json() if answer.status_code == 200 else None


def sent(webhook: Webhook) -> list[tuple[str, str, str]]:
    found = Delivery.objects.filter(webhook=webhook).order_by("created")
    return [(d.event, d.payload["record"]["id"], d.payload["record"]["status"]) for d in found]


def test_a_delete_is_sent_only_when_the_last_state_matches(
    api: Any, superuser_token: str, posts: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    webhook = hook(posts, "status = 'published'")
    path = "/api/collections/posts/records"

    def write(method: str, target: str, **body: Any) -> Any:
        return fired(
            api, superuser_token, django_capture_on_commit_callbacks, method, target, **body
        )

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
    api: Any,
    superuser_token: str,
    posts: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    tag_path = "/api/collections/tags/records"
    urgent = api.post(tag_path, json={"name": "urgent"}, token=superuser_token).json()
    calm = api.post(tag_path, json={"name": "calm"}, token=superuser_token).json()
    webhook = Webhook.objects.create(
        collection=posts["id"], events=["delete"], url=URL, filter="tags.name ?= 'urgent'"
    )
    path = "/api/collections/posts/records"
    records = {}
    for title, tags in (("both", [calm["id"], urgent["id"]]), ("calm", [calm["id"]])):
        body = {"title": title, "status": "x", "tags": tags}
        records[title] = api.post(path, json=body, token=superuser_token).json()
    for record in records.values():
        fired(
            api,
            superuser_token,
            django_capture_on_commit_callbacks,
            "DELETE",
            f"{path}/{record['id']}",
        )
    [delivery] = Delivery.objects.filter(webhook=webhook)
    assert delivery.event == "delete"
    assert delivery.payload["record"]["id"] == records["both"]["id"]
    assert delivery.payload["record"]["tags"] == [calm["id"], urgent["id"]]


def test_a_filter_the_schema_no_longer_supports_sends_nothing(
    api: Any, superuser_token: str, posts: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    webhook = hook(posts, "nosuchfield = 1")  # saved before the field went away
    path = "/api/collections/posts/records"
    record = api.post(path, json={"title": "t"}, token=superuser_token).json()
    fired(
        api,
        superuser_token,
        django_capture_on_commit_callbacks,
        "DELETE",
        f"{path}/{record['id']}",
    )
    assert sent(webhook) == []
