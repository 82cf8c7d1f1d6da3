"""The console's jobs page (/_/jobs) drives /api/jobs."""

from __future__ import annotations

import pytest

from baas.jobs.models import Job
from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, superuser_token):
    response = client.post("/_/login", {"email": "root@example.com", "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


FORM = {"name": "nightly", "schedule": "0 3 * * *", "kind": "hook", "enabled": "on"}


def test_the_page_needs_a_signed_in_superuser(client, superuser_token):
    response = client.get("/_/jobs")
    assert response.status_code == 302
    assert response["Location"].startswith("/_/login")


def test_create_list_run_disable_and_delete_a_job(console, write_hook):
    write_hook(
        "jobs.py", "from baas.hooks import job\n\n@job('report')\ndef report(ctx):\n    pass\n"
    )
    page = console.get("/_/jobs")
    assert page.status_code == 200
    assert b'href="/_/jobs" aria-current="page"' in page.content
    created = console.post("/_/jobs", {**FORM, "config": '{"function": "report"}'})
    assert created.status_code == 302
    job = Job.objects.get(name="nightly")
    assert job.config == {"function": "report", "payload": {}}
    assert b"nightly" in console.get("/_/jobs").content
    assert console.post(f"/_/jobs/{job.pk}/run").status_code == 302
    job.refresh_from_db()
    assert job.last_status == "ok"
    console.post(f"/_/jobs/{job.pk}/disable")
    job.refresh_from_db()
    assert job.enabled is False
    edited = console.post(
        f"/_/jobs/{job.pk}", {**FORM, "schedule": "@hourly", "config": '{"function": "report"}'}
    )
    assert edited.status_code == 302
    job.refresh_from_db()
    assert (job.schedule, job.enabled) == ("@hourly", True)
    console.post(f"/_/jobs/{job.pk}/delete")
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("form", "shown"),
    [
        (
            {**FORM, "schedule": "every day", "config": '{"function": "f"}'},
            b"Invalid cron expression",
        ),
        ({**FORM, "config": "{not json"}, b"The config is not valid JSON."),
        ({**FORM, "config": "{}"}, b"config.function"),
    ],
)
def test_bad_input_is_shown_in_the_form(console, form, shown):
    response = console.post("/_/jobs", form)
    assert response.status_code == 400
    assert shown in response.content
    assert not Job.objects.exists()
