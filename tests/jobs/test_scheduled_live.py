"""Scheduled jobs run by themselves where each deployment runs periodic work:

- embedded ``baas serve`` (no Redis, two workers): the in-process scheduler runs the
  ``baas.jobs.tick`` beat entry;
- ``baas serve`` + ``baas worker`` (Redis; the run's database): Celery beat does.

A job every minute calls a hook function that writes a record through the record
service. The claim that keeps two runners from running one due job twice is in
``test_jobs_api.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import services
from tests.reliability.live import Instance, instance, wait_for

SECRET = "scheduled-jobs-secret-4f1e9a3c6b7c4e1a9b3f6d2e8a5c0b7d"
HOOKS = """
from baas.collections.records.payload import Submission
from baas.hooks import job

@job("note")
def note(ctx):
    notes = ctx.collection_named("notes")
    values = {"text": "from " + ctx.payload["job"]}
    ctx.records.create_record(notes, Submission(values=values), ctx.system)
"""


def prepare(live: Instance) -> str:
    hooks = live.data_dir / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    (hooks / "notes.py").write_text(textwrap.dedent(HOOKS))
    live.start()
    live.sign_in_superuser()
    notes = {
        "name": "notes",
        "type": "base",
        "listRule": "",
        "fields": [{"name": "text", "type": "text"}],
    }
    assert live.api("POST", "/api/collections", json=notes).status_code == 200
    body = {
        "name": "minutely",
        "schedule": "* * * * *",
        "kind": "hook",
        "config": {"function": "note"},
    }
    created = live.api("POST", "/api/jobs", json=body)
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def check_ran(live: Instance, job_id: str, log: str = "") -> None:
    def noted() -> list[str]:
        items = live.api("GET", "/api/collections/notes/records").json()["items"]
        return [item["text"] for item in items]

    texts = wait_for(noted, 100, "the scheduled job's record")
    assert set(texts) == {"from minutely"}, log
    job = live.api("GET", f"/api/jobs/{job_id}").json()
    assert job["lastStatus"] == "ok", (job, log)
    assert job["nextRun"] > job["lastRun"]


def test_embedded_serve_runs_scheduled_jobs(tmp_path: Path) -> None:
    with instance(
        tmp_path, workers=2, start=False, DATABASE_URL=None, REDIS_URL=None, BAAS_SECRET_KEY=None
    ) as live:
        job_id = prepare(live)
        check_ran(live, job_id, live.log())


@contextmanager
def worker(live: Instance) -> Iterator[Path]:
    log_path = live.data_dir.parent / "worker.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*services.baas_command(), "worker", "--concurrency", "1", "--dir", str(live.data_dir)],
            env=live.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=services.REPO, start_new_session=True,
        )  # fmt: skip
    try:
        yield log_path
    finally:
        services.stop_process(proc, timeout=30)


def test_celery_beat_runs_scheduled_jobs(tmp_path: Path, redis_url: str) -> None:
    secret = os.environ.get("BAAS_SECRET_KEY") or SECRET
    with instance(
        tmp_path, workers=1, start=False, REDIS_URL=redis_url, BAAS_SECRET_KEY=secret
    ) as live:
        job_id = prepare(live)
        with worker(live) as log_path:
            check_ran(live, job_id, log_path.read_text(errors="replace"))


def test_a_webhook_job_posts_a_signed_payload(tmp_path: Path) -> None:
    from baas.webhooks.signing import HEADER, verify
    from tests.webhooks.conftest import Receiver

    receiver = Receiver(port=services.free_port())
    receiver.up()
    try:
        with instance(
            tmp_path, start=False, DATABASE_URL=None, REDIS_URL=None, BAAS_SECRET_KEY=None
        ) as live:
            live.start()
            live.sign_in_superuser()
            body = {
                "name": "ping",
                "schedule": "@daily",
                "kind": "webhook",
                "config": {"url": receiver.url, "payload": {"hello": "world"}},
            }
            job = live.api("POST", "/api/jobs", json=body).json()
            secret = job["config"]["secret"]
            assert secret.startswith("whsec_")
            assert live.api("POST", f"/api/jobs/{job['id']}/run").status_code == 204
            wait_for(lambda: receiver.received, 30, "the webhook delivery")
    finally:
        receiver.down()
    got = receiver.received[0]
    sent = json.loads(got.body)
    assert sent["event"] == "job"
    assert sent["data"] == {"job": "ping", "ranAt": sent["data"]["ranAt"], "hello": "world"}
    assert got.headers["X-Baas-Event"] == "job"
    assert verify(secret, got.body, got.headers[HEADER])
