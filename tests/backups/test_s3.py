"""Backups with S3 on both sides: the files on S3 (``BAAS_S3_*``) and the archives on S3
(``backups.s3``), against SeaweedFS. The instance gets buckets of its own: a restore
makes the files bucket match the archive, so it must not share one."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.backups.test_roundtrip import download, restore_and_wait
from tests.backups.world import PNG, ok
from tests.reliability.live import instance

SECRET = "s3-backups-test-secret-7c4e1a9b3f6d2e8a5c0b7d4f1e9a"


def test_files_and_archives_on_s3_round_trip(s3_server: Any, tmp_path: Path) -> None:
    client = s3_server.client()
    files_bucket, backups_bucket = (
        f"files-{uuid.uuid4().hex[:8]}",
        f"backups-{uuid.uuid4().hex[:8]}",
    )
    for bucket in (files_bucket, backups_bucket):
        client.create_bucket(Bucket=bucket)
    env = {
        "BAAS_S3_ENDPOINT": s3_server.endpoint,
        "BAAS_S3_BUCKET": files_bucket,
        "BAAS_S3_ACCESS_KEY": s3_server.access_key,
        "BAAS_S3_SECRET_KEY": s3_server.secret_key,
        "BAAS_SECRET_KEY": SECRET,
        "REDIS_URL": None,
    }
    with instance(tmp_path, **env) as live:
        live.sign_in_superuser()
        backups_s3 = {
            "enabled": True,
            "bucket": backups_bucket,
            "region": s3_server.region,
            "endpoint": s3_server.endpoint,
            "accessKey": s3_server.access_key,
            "secret": s3_server.secret_key,
            "forcePathStyle": True,
        }
        ok(live.api("PATCH", "/api/settings", json={"backups": {"s3": backups_s3}}))
        ok(
            live.api(
                "POST",
                "/api/collections",
                json={
                    "name": "pics",
                    "listRule": "",
                    "viewRule": "",
                    "fields": [{"name": "img", "type": "file"}],
                },
            )
        )
        kept = ok(
            live.api(
                "POST", "/api/collections/pics/records", files={"img": ("a.png", PNG, "image/png")}
            )
        )
        ok(live.api("POST", "/api/backups", json={"name": "on_s3.zip"}), 204)
        assert [b["key"] for b in ok(live.api("GET", "/api/backups"))] == ["on_s3.zip"]
        assert client.head_object(Bucket=backups_bucket, Key="on_s3.zip")["ContentLength"] > 0
        assert not (live.data_dir / "backups" / "on_s3.zip").exists()
        archive = download(live, "on_s3.zip")
        assert archive[:2] == b"PK"

        # Move on: the kept record and its file go, another comes.
        ok(live.api("DELETE", f"/api/collections/pics/records/{kept['id']}"), 204)
        later = ok(
            live.api(
                "POST", "/api/collections/pics/records", files={"img": ("b.png", PNG, "image/png")}
            )
        )
        later_key = f"{later['collectionId']}/{later['id']}/{later['img']}"
        assert client.head_object(Bucket=files_bucket, Key=later_key)

        restore_and_wait(
            live,
            "on_s3.zip",
            lambda: (
                live.api("GET", f"/api/collections/pics/records/{kept['id']}").status_code == 200
            ),
        )
        served = live.api("GET", f"/api/files/pics/{kept['id']}/{kept['img']}")
        assert served.status_code == 200 and served.content == PNG
        assert served.headers["content-type"] == "image/png"
        assert live.api("GET", f"/api/collections/pics/records/{later['id']}").status_code == 404
        keys = {
            item["Key"] for item in client.list_objects_v2(Bucket=files_bucket).get("Contents", [])
        }
        assert later_key not in keys  # what the archive does not have is gone from the bucket
        assert f"{kept['collectionId']}/{kept['id']}/{kept['img']}" in keys
