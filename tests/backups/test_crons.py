"""``/api/crons`` (wire-api §7.6), cron expressions, the beat tick and backup retention."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.cache import cache

from baas.backups import cron, crons
from baas.backups.tasks import prune_auto_backups
from baas.logs.models import RequestLog
from tests.backups.archives import archive_bytes


@pytest.mark.parametrize(
    "expression, moment, due",
    [
        ("* * * * *", "2026-11-25 10:17", True),
        ("0 3 * * *", "2026-11-25 03:00", True),
        ("0 3 * * *", "2026-11-25 03:01", False),
        ("*/15 * * * *", "2026-11-25 10:45", True),
        ("*/15 * * * *", "2026-11-25 10:44", False),
        ("5-10/5 * * * *", "2026-11-25 10:10", True),
        ("5-10/5 * * * *", "2026-11-25 10:07", False),
        ("0 0 * * 0", "2026-11-29 00:00", True),  # a Sunday
        ("0 0 * * 7", "2026-11-29 00:00", True),  # 7 is Sunday too
        ("0 0 1,15 * *", "2026-11-15 00:00", True),
        ("0 0 1 1 *", "2026-11-01 00:00", False),
        ("@daily", "2026-11-25 00:00", True),
        ("@hourly", "2026-11-25 10:00", True),
        ("@weekly", "2026-11-25 00:00", False),  # a Wednesday
        ("0 12 * * 1-5", "2026-11-28 12:00", False),  # day AND weekday must match, as on the peer
        ("61 * * * *", "2026-11-25 10:01", False),  # a bad expression never fires
        ("* * *", "2026-11-25 10:01", False),
        ("a * * * *", "2026-11-25 10:01", False),
        ("5-1 * * * *", "2026-11-25 10:01", False),
    ],
)
def test_cron_expressions(expression, moment, due):
    at = datetime.strptime(moment, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert cron.is_due(expression, at) is due


@pytest.mark.parametrize(
    "seconds, expression",
    [
        (3600, "0 * * * *"),
        (7200, "0 */2 * * *"),
        (300, "*/5 * * * *"),
        (60, "* * * * *"),
        (45, "@every 45s"),
        (25200, "@every 25200s"),
    ],
)
def test_beat_intervals_are_shown_as_cron_expressions(seconds, expression):
    assert crons.interval_expression(float(seconds)) == expression


def test_each_job_names_its_task():
    from django.utils.module_loading import import_string

    for job in crons.JOBS:
        assert import_string(job.function).name == job.task


def test_the_beat_runs_the_tick():
    entry = settings.CELERY_BEAT_SCHEDULE["baas.backups.tick"]
    assert entry["task"] == "baas.backups.tick"
    assert entry["schedule"] <= 30  # every minute gets at least one tick


def test_the_list_has_our_jobs_and_the_backup_cron_once_set(api, superuser_token):
    listed = api.get("/api/crons", token=superuser_token).json()
    assert listed == [
        {"id": "__baasFileSweep__", "expression": "0 * * * *"},
        {"id": "__pbLogsCleanup__", "expression": "0 */6 * * *"},
    ]
    patched = api.patch(
        "/api/settings", json={"backups": {"cron": "0 3 * * *"}}, token=superuser_token
    )
    assert patched.status_code == 200
    listed = api.get("/api/crons", token=superuser_token).json()
    assert listed[0] == {"id": "__auto_pb_backup__", "expression": "0 3 * * *"}


def test_running_an_unknown_job_is_a_404(api, superuser_token):
    response = api.post("/api/crons/__nope__", token=superuser_token)
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Missing or invalid cron job", "data": {}}
    not_scheduled = api.post("/api/crons/__auto_pb_backup__", token=superuser_token)
    assert not_scheduled.status_code == 404  # backups.cron is empty: no such job


def _log(created: datetime) -> RequestLog:
    stamp = created.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
    return RequestLog.objects.create(id=os.urandom(5).hex()[:15], created=stamp, message="GET /")


def test_the_logs_cleanup_job_keeps_max_days(api, superuser_token):
    now = datetime.now(UTC)
    old, recent = _log(now - timedelta(days=6)), _log(now - timedelta(days=1))
    assert api.post("/api/crons/__pbLogsCleanup__", token=superuser_token).status_code == 204
    left = set(RequestLog.objects.values_list("id", flat=True))
    assert recent.id in left and old.id not in left


def test_the_file_sweep_runs_on_request(api, superuser_token):
    assert api.post("/api/crons/__baasFileSweep__", token=superuser_token).status_code == 204


def test_a_tick_starts_each_due_job_once_per_minute(db):
    midnight = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # logs cleanup: "0 */6 * * *"
    cache.delete_many([f"baas:cron:{_db_name()}:__pbLogsCleanup__:202611250000"])
    assert crons.tick(midnight) == ["__pbLogsCleanup__"]
    assert crons.tick(midnight + timedelta(seconds=30)) == []
    assert crons.tick(midnight + timedelta(minutes=1)) == []


def _db_name() -> str:
    from django.db import connection

    return str(connection.settings_dict.get("NAME", ""))


def test_retention_keeps_the_newest_automatic_backups(db, backups_dir):
    backups_dir.mkdir(parents=True, exist_ok=True)
    content = archive_bytes()
    base = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    autos = [f"@auto_pb_backup_acme_2026010100000{i}.zip" for i in range(5)]
    for index, key in enumerate(autos):
        (backups_dir / key).write_bytes(content)
        os.utime(backups_dir / key, (base + index, base + index))
    (backups_dir / "manual.zip").write_bytes(content)
    removed = prune_auto_backups(2)
    assert sorted(removed) == autos[:3]
    assert sorted(p.name for p in backups_dir.glob("*.zip")) == [*autos[3:], "manual.zip"]
    assert prune_auto_backups(0) == []  # 0 keeps everything
