"""``/api/jobs``: superusers only, checked input, run now; the tick runs due jobs once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from baas.jobs import service
from baas.jobs.models import Job

pytestmark = pytest.mark.django_db

HOOK_JOB = {"name": "nightly", "schedule": "0 3 * * *", "kind": "hook", "config": {"function": "f"}}


def test_only_superusers_manage_jobs(api, cast):
    for token, status in ((cast.guest, 401), (cast.owner, 403)):
        assert api.get("/api/jobs", token=token).status_code == status
        assert api.post("/api/jobs", json=HOOK_JOB, token=token).status_code == status
    created = api.post("/api/jobs", json=HOOK_JOB, token=cast.superuser)
    assert created.status_code == 200, created.content
    job_id = created.json()["id"]
    for method, path in (
        ("GET", f"/api/jobs/{job_id}"),
        ("PATCH", f"/api/jobs/{job_id}"),
        ("DELETE", f"/api/jobs/{job_id}"),
        ("POST", f"/api/jobs/{job_id}/run"),
    ):
        assert api.request(method, path, json={}, token=cast.owner).status_code == 403
        assert api.request(method, path, json={}).status_code == 401
    assert Job.objects.filter(pk=job_id).exists()


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({**HOOK_JOB, "schedule": "not cron"}, "schedule", "validation_invalid_cron"),
        ({**HOOK_JOB, "schedule": "* * * * * *"}, "schedule", "validation_invalid_cron"),
        ({**HOOK_JOB, "schedule": "61 * * * *"}, "schedule", "validation_invalid_cron"),
        ({**HOOK_JOB, "schedule": 5}, "schedule", "validation_invalid_cron"),
        ({**HOOK_JOB, "name": ""}, "name", "validation_required"),
        ({**HOOK_JOB, "kind": "shell"}, "kind", "validation_invalid_value"),
        ({**HOOK_JOB, "config": {}}, "config.function", "validation_required"),
        ({**HOOK_JOB, "config": []}, "config", "validation_invalid_type"),
        ({**HOOK_JOB, "enabled": "yes"}, "enabled", "validation_invalid_type"),
        (
            {**HOOK_JOB, "kind": "webhook", "config": {"url": "ftp://x"}},
            "config.url",
            "validation_invalid_url",
        ),
        (
            {**HOOK_JOB, "kind": "retention", "config": {"collection": "nope", "days": 3}},
            "config.collection",
            "validation_missing_collection",
        ),
        (
            {**HOOK_JOB, "kind": "retention", "config": {"collection": "posts", "days": 0}},
            "config.days",
            "validation_min_number",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, superuser_token, posts, body, field, code):
    response = api.post("/api/jobs", json=body, token=superuser_token)
    assert response.status_code == 400
    assert response.json()["data"][field]["code"] == code
    assert not Job.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(api, superuser_token):
    response = api.post("/api/jobs", json=[1], token=superuser_token)
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_names_are_unique(api, superuser_token):
    assert api.post("/api/jobs", json=HOOK_JOB, token=superuser_token).status_code == 200
    again = api.post("/api/jobs", json=HOOK_JOB, token=superuser_token)
    assert again.json()["data"]["name"]["code"] == "validation_not_unique"


def test_create_read_update_delete(api, superuser_token):
    created = api.post("/api/jobs", json=HOOK_JOB, token=superuser_token).json()
    assert created["schedule"] == "0 3 * * *"
    assert created["enabled"] is True
    assert created["nextRun"].endswith("03:00:00.000Z")
    assert created["lastRun"] == "" and created["lastStatus"] == ""
    url = f"/api/jobs/{created['id']}"
    changed = api.patch(url, json={"schedule": "@hourly", "enabled": False}, token=superuser_token)
    assert changed.status_code == 200
    assert changed.json()["schedule"] == "@hourly"
    assert changed.json()["nextRun"] == ""  # disabled: never due
    assert api.get("/api/jobs", token=superuser_token).json()[0]["id"] == created["id"]
    assert api.delete(url, token=superuser_token).status_code == 204
    assert api.get(url, token=superuser_token).status_code == 404


def test_the_tick_runs_a_due_job_once_and_schedules_the_next_run(superuser_token):
    job = service.save(Job(), {**HOOK_JOB, "schedule": "*/5 * * * *", "config": {"function": "f"}})
    now = datetime(2026, 1, 1, 12, 1, tzinfo=UTC)
    Job.objects.filter(pk=job.pk).update(next_run=now - timedelta(minutes=1))
    assert service.run_due(now) == ["nightly"]
    assert service.run_due(now) == []  # claimed: a second runner finds nothing due
    job.refresh_from_db()
    assert job.next_run == datetime(2026, 1, 1, 12, 5, tzinfo=UTC)
    assert job.last_status == Job.ERROR  # no hook function "f" is loaded
    assert "f" in job.last_message


def test_two_runners_with_the_same_view_of_a_job_claim_it_once(superuser_token):
    job = service.save(Job(), HOOK_JOB)
    now = datetime(2026, 1, 1, 3, 0, 30, tzinfo=UTC)
    Job.objects.filter(pk=job.pk).update(next_run=now)
    first, second = Job.objects.get(pk=job.pk), Job.objects.get(pk=job.pk)
    assert service.claim(first, now) is True
    assert service.claim(second, now) is False


def test_disabled_jobs_are_not_due(superuser_token):
    job = service.save(Job(), {**HOOK_JOB, "enabled": False})
    Job.objects.filter(pk=job.pk).update(next_run=datetime(2020, 1, 1, tzinfo=UTC))
    assert service.run_due() == []
