"""Scheduled backups with retention, end to end, where each deployment runs them.

``backups.cron`` set to every minute and ``backups.cronMaxKeep`` to 2 through
``PATCH /api/settings``; the data directory already holds three older automatic
archives and a manual one. The beat tick (every 30 s, the first one 30 s after the
start) makes a new ``@auto_pb_backup_…`` archive, then deletes the automatic ones
beyond the two newest, the way the peer does: only ``@auto_pb_backup_`` archives
count, a manual one is never touched.

- embedded ``baas serve`` (no Redis): its in-process scheduler runs the tick;
- ``baas serve`` + ``baas worker`` (Redis; the run's database): Celery beat does.

Retention with the archives on S3 (``backups.s3``) is the last test. The tick and the
retention rule alone, with a controlled clock, are in ``test_crons.py`` and
``test_scheduler.py``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from baas.backups.tasks import prune_auto_backups
from baas.settings_api import service
from tests import services
from tests.backups.archives import zip_bytes
from tests.reliability.live import Instance, instance, wait_for

SEEDED = [f"@auto_pb_backup_acme_2026010100000{i}.zip" for i in range(3)]
MANUAL = "pb_backup_20260101000000.zip"
SECRET = "scheduled-backups-secret-4f1e9a3c6b7c4e1a9b3f6d2e8a5c"
REDIS_DB = 11  # apart from the suite's (15) and the deployment test's (12)


def seed(backups: Path) -> None:
    """Three older automatic archives (oldest first) and a manual one, before the start."""
    backups.mkdir(parents=True, exist_ok=True)
    base = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    for index, key in enumerate([*SEEDED, MANUAL]):
        (backups / key).write_bytes(zip_bytes({"placeholder": b"not restored here"}))
        os.utime(backups / key, (base + index, base + index))


def schedule(live: Instance) -> None:
    live.sign_in_superuser()
    answer = live.api(
        "PATCH", "/api/settings", json={"backups": {"cron": "* * * * *", "cronMaxKeep": 2}}
    )
    assert answer.status_code == 200, answer.text
    wanted = {"id": "__auto_pb_backup__", "expression": "* * * * *"}
    # another worker may hold the settings it read up to 2 s ago (settings_api.service)
    wait_for(lambda: wanted in live.api("GET", "/api/crons").json(), 10, "the cron listed")


def check_retention(live: Instance, backups: Path, log: str = "") -> None:
    def made() -> list[str]:
        names = sorted(p.name for p in backups.glob("@auto_pb_backup_*.zip"))
        new = [n for n in names if n not in SEEDED]
        return new if new and len(names) == 2 else []

    new = wait_for(made, 90, "a scheduled backup and the retention after it")
    assert len(new) == 1, new
    autos = sorted(p.name for p in backups.glob("@auto_pb_backup_*.zip"))
    assert autos == sorted([SEEDED[-1], new[0]])  # the newest two: oldest ones deleted
    assert (backups / MANUAL).exists()  # a manual backup is never pruned
    listed = {item["key"]: item["size"] for item in live.api("GET", "/api/backups").json()}
    assert set(listed) == {*autos, MANUAL}, (listed, log)
    assert listed[new[0]] > 1000  # a real archive of the instance


def test_embedded_serve_makes_scheduled_backups_and_prunes(tmp_path: Path) -> None:
    with instance(
        tmp_path, workers=2, start=False, DATABASE_URL=None, REDIS_URL=None, BAAS_SECRET_KEY=None
    ) as live:
        backups = live.data_dir / "backups"
        seed(backups)
        live.start()
        schedule(live)  # its first request also starts the scheduler
        check_retention(live, backups, live.log())


@contextmanager
def worker(live: Instance) -> Iterator[Path]:
    """``baas worker`` (Celery worker with beat) on the instance's data and database."""
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


def own_redis(url: str) -> str:
    """``url`` on a Redis database number of this test's own, emptied.

    The suite's database number also carries the tasks that other tests' live servers
    queue with no worker to run them: a worker there would work through that backlog
    (or another test's worker would take this one's tasks).
    """
    import redis

    mine = services.ensure_redis(urlunsplit(urlsplit(url)._replace(path=f"/{REDIS_DB}")))
    connection = redis.Redis.from_url(mine)
    try:
        connection.flushdb()
    finally:
        connection.close()
    return mine


def test_celery_beat_makes_scheduled_backups_and_prunes(tmp_path: Path, redis_url: str) -> None:
    secret = os.environ.get("BAAS_SECRET_KEY") or SECRET
    broker = own_redis(redis_url)
    with instance(
        tmp_path, workers=1, start=False, REDIS_URL=broker, BAAS_SECRET_KEY=secret
    ) as live:
        backups = live.data_dir / "backups"
        seed(backups)
        live.start()
        schedule(live)
        with worker(live) as log_path:
            check_retention(live, backups, log_path.read_text(errors="replace"))


def test_retention_prunes_automatic_backups_on_s3(db: Any, s3_server: Any) -> None:
    """With ``backups.s3`` the same rule applies to the bucket (newest by time, then name)."""
    client = s3_server.client()
    bucket = f"backups-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    service.update(
        {
            "backups": {
                "s3": {
                    "enabled": True,
                    "bucket": bucket,
                    "region": s3_server.region,
                    "endpoint": s3_server.endpoint,
                    "accessKey": s3_server.access_key,
                    "secret": s3_server.secret_key,
                    "forcePathStyle": True,
                }
            }
        }
    )
    autos = [f"@auto_pb_backup_acme_2026010100000{i}.zip" for i in range(4)]
    for key in [*autos, MANUAL]:  # oldest first (LastModified ties go by name)
        client.put_object(Bucket=bucket, Key=key, Body=zip_bytes({"a": b"b"}))
    assert sorted(prune_auto_backups(2)) == autos[:2]
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert sorted(item["Key"] for item in listed) == sorted([*autos[2:], MANUAL])
