"""What jobs do when they run: a hook function, retention (only old records go)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from baas.collections import naming
from baas.collections.ddl import quote
from baas.collections.fields.dates import to_wire
from baas.collections.models import Collection
from baas.jobs import service
from baas.jobs.models import Job

pytestmark = pytest.mark.django_db


def _age(collection_name: str, record_id: str, days: int) -> None:
    """Backdate ``created`` the way only SQL can (the record service sets it itself)."""
    collection = Collection.objects.get(name=collection_name)
    column = naming.column_name(collection.field("created"))
    created = to_wire(datetime.now(UTC) - timedelta(days=days))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(naming.table_name(collection.id))} SET {quote(column)} = %s WHERE id = %s",
            [created, record_id],
        )


def test_a_job_calls_a_hook_function_with_its_payload(api, superuser_token, posts, write_hook):
    write_hook(
        "report.py",
        """
        from baas.collections.records.payload import Submission
        from baas.hooks import job

        @job("report")
        def report(ctx):
            posts = ctx.collection_named("posts")
            title = ctx.payload["job"] + ":" + ctx.payload["prefix"]
            ctx.records.create_record(posts, Submission(values={"title": title}), ctx.system)
        """,
    )
    body = {
        "name": "daily report",
        "schedule": "@daily",
        "kind": "hook",
        "config": {"function": "report", "payload": {"prefix": "p"}},
    }
    job = api.post("/api/jobs", json=body, token=superuser_token).json()
    assert api.post(f"/api/jobs/{job['id']}/run", token=superuser_token).status_code == 204
    titles = [i["title"] for i in api.get("/api/collections/posts/records").json()["items"]]
    assert titles == ["daily report:p"]
    ran = api.get(f"/api/jobs/{job['id']}", token=superuser_token).json()
    assert ran["lastStatus"] == "ok"
    assert ran["lastMessage"] == "called report"
    assert ran["lastRun"]


def test_a_failing_hook_function_marks_the_job_and_is_logged(
    api, superuser_token, write_hook, caplog
):
    write_hook(
        "bad.py",
        """
        from baas.hooks import job

        @job("bad")
        def bad(ctx):
            raise KeyError("nope")
        """,
    )
    job = service.save(
        Job(), {"name": "b", "schedule": "@daily", "kind": "hook", "config": {"function": "bad"}}
    )
    service.run_job(job)
    job.refresh_from_db()
    assert job.last_status == "error"
    assert job.last_message == "A server hook failed while processing the request."
    assert "bad.py:bad failed" in caplog.text


def test_a_retention_job_deletes_only_records_older_than_its_days(api, superuser_token, posts):
    ids = {}
    for title, days in (("ancient", 400), ("old", 31), ("recent", 29), ("new", 0)):
        ids[title] = api.post("/api/collections/posts/records", json={"title": title}).json()["id"]
        if days:
            _age("posts", ids[title], days)
    body = {
        "name": "keep a month",
        "schedule": "0 4 * * *",
        "kind": "retention",
        "config": {"collection": "posts", "days": 30},
    }
    job = api.post("/api/jobs", json=body, token=superuser_token).json()
    assert api.post(f"/api/jobs/{job['id']}/run", token=superuser_token).status_code == 204
    left = {i["title"] for i in api.get("/api/collections/posts/records").json()["items"]}
    assert left == {"recent", "new"}
    ran = api.get(f"/api/jobs/{job['id']}", token=superuser_token).json()
    assert ran["lastStatus"] == "ok"
    assert ran["lastMessage"].startswith("deleted 2 records created before ")


def test_retention_goes_through_the_record_service_cascades_and_refusals(
    api, superuser_token, posts, make_collection
):
    posts_id = posts["id"]
    make_collection(
        {
            "name": "comments",
            "type": "base",
            "listRule": "",
            "fields": [
                {
                    "name": "post",
                    "type": "relation",
                    "collectionId": posts_id,
                    "maxSelect": 1,
                    "cascadeDelete": True,
                }
            ],
        }
    )
    make_collection(
        {
            "name": "pins",
            "type": "base",
            "listRule": "",
            "fields": [
                {
                    "name": "post",
                    "type": "relation",
                    "collectionId": posts_id,
                    "maxSelect": 1,
                    "required": True,
                }
            ],
        }
    )
    old = api.post("/api/collections/posts/records", json={"title": "old"}).json()["id"]
    pinned = api.post("/api/collections/posts/records", json={"title": "pinned"}).json()["id"]
    for record_id in (old, pinned):
        _age("posts", record_id, 90)
    api.post("/api/collections/comments/records", json={"post": old}, token=superuser_token)
    api.post("/api/collections/pins/records", json={"post": pinned}, token=superuser_token)
    job = service.save(
        Job(),
        {
            "name": "r",
            "schedule": "@daily",
            "kind": "retention",
            "config": {"collection": "posts", "days": 30},
        },
    )
    service.run_job(job)
    assert job.last_message.startswith("deleted 1 records created before ")
    assert job.last_message.endswith("; 1 could not be deleted")
    left = [i["title"] for i in api.get("/api/collections/posts/records").json()["items"]]
    assert left == ["pinned"]  # a required relation keeps it, as a REST delete would
    assert api.get("/api/collections/comments/records").json()["totalItems"] == 0  # cascaded


def test_retention_deletes_send_the_record_events_realtime_listens_to(
    api, superuser_token, posts, django_capture_on_commit_callbacks
):
    from baas.collections.records.events import record_changed

    old = api.post("/api/collections/posts/records", json={"title": "old"}).json()["id"]
    api.post("/api/collections/posts/records", json={"title": "new"})
    _age("posts", old, 10)
    job = service.save(
        Job(),
        {
            "name": "r",
            "schedule": "@daily",
            "kind": "retention",
            "config": {"collection": "posts", "days": 5},
        },
    )
    seen: list[tuple[str, str, str]] = []

    def listen(sender, collection, action, record, **kwargs):
        seen.append((collection.name, action, record["id"]))

    record_changed.connect(listen, dispatch_uid="test-retention-events")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            service.run_job(job)
    finally:
        record_changed.disconnect(dispatch_uid="test-retention-events")
    assert seen == [("posts", "delete", old)]
