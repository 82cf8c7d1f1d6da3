"""Never an orphan, never a loss (DESIGN §9): failures, deletes, batches, the sweep, outages."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings

from baas.auth.context import GUEST
from baas.collections.models import Collection
from baas.collections.records import RecordService, rows
from baas.collections.records.payload import Submission
from baas.collections.records.service import Call
from baas.storage.s3 import client_config
from baas.storage.service import discard_abandoned
from baas.storage.tasks import sweep_orphans
from tests import services
from tests.storage.conftest import RECORDS, local_storages, png, s3_storages

pytestmark = pytest.mark.django_db


def folder(record: dict) -> str:
    return f"{record['collectionId']}/{record['id']}"


def create(capi: Any, **kwargs: Any) -> dict:
    response = capi.post(RECORDS, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()


# ---- a failed write leaves storage as it was --------------------------------------------


def test_create_failing_validation_after_the_upload_stores_nothing(
    capi: Any, docs: dict, storage: Any
) -> None:
    response = capi.post(RECORDS, json={"code": "NOT lower"}, files={"many": ("a.txt", b"a")})
    assert response.status_code == 400
    assert set(response.json()["data"]) == {"code"}
    assert storage.paths() == []


def test_update_failing_validation_keeps_old_files_and_adds_none(
    capi: Any, docs: dict, storage: Any, superuser_token: str
) -> None:
    record = create(capi, files={"many": [("a.txt", b"a"), ("b.txt", b"b")]})
    before = storage.paths()
    for send in (
        {"json": {"code": "BAD"}, "files": {"many": ("new.txt", b"n")}},  # replace
        {"json": {"code": "BAD", "many-": record["many"]}},  # remove
        {"json": {"code": "BAD"}, "files": {"many+": ("new.txt", b"n")}},  # append
    ):
        response = capi.patch(f"{RECORDS}/{record['id']}", token=superuser_token, **send)
        assert response.status_code == 400
        assert storage.paths() == before


def test_duplicate_id_does_not_touch_the_existing_records_files(
    capi: Any, docs: dict, storage: Any
) -> None:
    record = create(capi, files={"one": ("a.txt", b"a")})
    before = storage.paths()
    response = capi.post(RECORDS, json={"id": record["id"]}, files={"many": ("b.txt", b"b")})
    assert response.status_code == 400
    assert response.json()["data"]["id"]["code"] == "validation_not_unique"
    assert storage.paths() == before


def test_record_id_is_never_a_path(capi: Any, docs: dict, storage: Any) -> None:
    response = capi.post(RECORDS, json={"id": "../../escape"}, files={"one": ("a.txt", b"a")})
    assert response.status_code == 400
    assert storage.paths() == []


# ---- deletes ------------------------------------------------------------------------------


def test_deleting_a_record_removes_its_files_and_thumbs(
    capi: Any, docs: dict, storage: Any
) -> None:
    record = create(capi, files={"many": ("p.png", png())})
    capi.get(f"/api/files/{folder(record)}/{record['many'][0]}", query={"thumb": "100x100"})
    other = create(capi, files={"one": ("keep.txt", b"k")})
    assert len(storage.paths(folder(record))) == 2  # the file and its thumb
    response = capi.delete(f"{RECORDS}/{record['id']}")
    assert response.status_code == 204
    assert storage.paths(folder(record)) == []
    assert len(storage.paths(folder(other))) == 1


def test_delete_rolled_back_keeps_the_files(
    docs: dict, capi: Any, storage: Any, django_capture_on_commit_callbacks: Any
) -> None:
    record = create(capi, files={"one": ("keep.txt", b"k")})
    collection = Collection.objects.get(name="docs")
    superuser = Call(viewer=GUEST)
    with pytest.raises(RuntimeError), transaction.atomic():
        RecordService().delete_record(collection, record["id"], superuser)
        raise RuntimeError("rolled back")
    discard_abandoned()
    assert len(storage.paths(folder(record))) == 1


def test_deleting_a_collection_removes_its_folder(
    capi: Any, docs: dict, storage: Any, superuser_token: str
) -> None:
    create(capi, files={"one": ("a.txt", b"a")})
    assert storage.paths(docs["id"])
    response = capi.delete(f"/api/collections/{docs['id']}", token=superuser_token)
    assert response.status_code == 204
    assert storage.paths(docs["id"]) == []


# ---- transactions around the record service (batches) --------------------------------------


def _submission(**files: bytes) -> Submission:
    return Submission(
        files={name: [SimpleUploadedFile(f"{name}.txt", data)] for name, data in files.items()}
    )


def test_write_inside_a_rolled_back_outer_transaction_leaves_no_file(
    docs: dict, storage: Any
) -> None:
    collection = Collection.objects.get(name="docs")
    call = Call(viewer=GUEST, method="POST")
    with pytest.raises(RuntimeError), transaction.atomic():
        RecordService().create_record(collection, _submission(one=b"first"), call)
        RecordService().create_record(collection, _submission(one=b"second"), call)
        assert len(storage.paths()) == 2
        raise RuntimeError("the batch failed later")
    discard_abandoned()  # what the end of the request does
    assert storage.paths() == []


def test_rollback_keeps_files_committed_earlier_in_the_same_transaction(
    docs: dict, storage: Any, django_capture_on_commit_callbacks: Any
) -> None:
    collection = Collection.objects.get(name="docs")
    call = Call(viewer=GUEST, method="POST")
    with django_capture_on_commit_callbacks(execute=True):
        RecordService().create_record(collection, _submission(one=b"kept"), call)
    with pytest.raises(RuntimeError), transaction.atomic():
        RecordService().create_record(collection, _submission(one=b"gone"), call)
        raise RuntimeError
    discard_abandoned()
    assert [storage.read(p) for p in storage.paths()] == [b"kept"]


def _batch(capi: Any, token: str, requests_: list, files: dict) -> Any:
    return capi.post("/api/batch", json={"requests": requests_}, files=files, token=token)


def test_batch_all_or_nothing_with_files(
    capi: Any, docs: dict, storage: Any, superuser_token: str
) -> None:
    enabled = capi.patch("/api/settings", json={"batch": {"enabled": True}}, token=superuser_token)
    assert enabled.status_code == 200, enabled.content
    create_one = {"method": "POST", "url": RECORDS, "body": {"title": "ok"}}
    failing = {"method": "POST", "url": RECORDS, "body": {"code": "BAD"}}
    response = _batch(
        capi,
        superuser_token,
        [create_one, create_one, failing],
        {
            "requests.0.one": ("a.txt", b"a"),
            "requests.1.many": ("b.txt", b"b"),
            "requests.2.one": ("c.txt", b"c"),
        },
    )
    assert response.status_code == 400, response.content
    assert storage.paths() == []
    response = _batch(
        capi,
        superuser_token,
        [create_one, create_one],
        {"requests.0.one": ("a.txt", b"a"), "requests[1].many": ("b.txt", b"b")},
    )
    assert response.status_code == 200, response.content
    results = response.json()
    assert results[0]["body"]["one"] and results[1]["body"]["many"]
    assert len(storage.paths()) == 2
    # A replace inside a failing batch neither deletes the old file nor keeps the new one.
    before = storage.paths()
    replace = {"method": "PATCH", "url": f"{RECORDS}/{results[0]['body']['id']}", "body": {}}
    response = _batch(
        capi, superuser_token, [replace, failing], {"requests.0.one": ("new.txt", b"new")}
    )
    assert response.status_code == 400, response.content
    assert storage.paths() == before


# ---- the periodic sweep -----------------------------------------------------------------------


def test_sweep_removes_orphans_only(capi: Any, docs: dict, storage: Any) -> None:
    record = create(capi, files={"one": ("keep.txt", b"k")})
    target = storage.adapter
    base = folder(record)
    kept = storage.paths(base)
    orphans = [
        f"{docs['id']}/aaaaaaaaaaaaaaa/gone.txt",  # no such record
        f"{base}/unreferenced.txt",
        f"{base}/thumbs_gone.png/100x100_gone.png",  # thumb of a missing file
        "pbc_999/bbbbbbbbbbbbbbb/x.txt",  # no such collection
    ]
    foreign = ["backups/nightly.zip", "backups/old/a.zip"]  # not ours: left alone
    for path in orphans + foreign:
        target.save(path, ContentFile(b"x"))
    young = sweep_orphans(grace_seconds=3600)
    assert young == {"files": 0, "folders": 1}  # only the thumb: it needs no grace
    assert f"{base}/unreferenced.txt" in storage.paths(base)
    sweep_orphans(grace_seconds=0)
    remaining = storage.paths()
    assert not set(orphans) & set(remaining)
    assert set(foreign) <= set(remaining)
    assert f"{base}/{record['one']}" in remaining
    assert set(kept) <= set(remaining)


# ---- storage outages ---------------------------------------------------------------------------


def test_unreachable_s3_is_a_clean_503_and_no_record(
    capi: Any, docs: dict, superuser_token: str, s3_server: Any
) -> None:
    dead = services.S3Server(
        f"http://127.0.0.1:{services.free_port()}", "baas-test", "x-access", "x-secret-key-000"
    )
    storages = s3_storages(dead, client_config=client_config(connect_timeout=1, attempts=1))
    with override_settings(STORAGES=storages):
        response = capi.post(RECORDS, json={"title": "t"}, files={"one": ("a.txt", b"a")})
    assert response.status_code == 503
    assert response.json() == {
        "status": 503,
        "message": "Service temporarily unavailable. Please try again.",
        "data": {},
    }
    assert rows.count(Collection.objects.get(name="docs"), "", []) == 0


def test_download_from_unreachable_s3_is_a_clean_503(capi: Any, docs: dict, s3_server: Any) -> None:
    with override_settings(STORAGES=s3_storages(s3_server)):
        record = create(capi, files={"one": ("a.txt", b"a")})
    dead = services.S3Server(
        f"http://127.0.0.1:{services.free_port()}", "baas-test", "x-access", "x-secret-key-000"
    )
    storages = s3_storages(dead, client_config=client_config(connect_timeout=1, attempts=1))
    with override_settings(STORAGES=storages):
        response = capi.get(f"/api/files/{folder(record)}/{record['one']}")
    assert response.status_code == 503
    assert response.json()["status"] == 503


def test_presigned_redirect_on_s3(capi: Any, docs: dict, s3_server: Any) -> None:
    settings = {"STORAGES": s3_storages(s3_server), "BAAS_FILES_PRESIGNED_REDIRECT": True}
    with override_settings(**settings):
        record = create(capi, files={"one": ("a.txt", b"signed bytes")})
        response = capi.get(f"/api/files/{folder(record)}/{record['one']}")
    assert response.status_code == 302
    assert response["Location"].startswith(s3_server.endpoint)
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == b"signed bytes"
    assert fetched.headers["Content-Disposition"].startswith("attachment;")


def test_local_storage_ignores_the_redirect_setting(capi: Any, docs: dict, tmp_path: Any) -> None:
    settings = {
        "STORAGES": local_storages(str(tmp_path / "s")),
        "BAAS_FILES_PRESIGNED_REDIRECT": True,
    }
    with override_settings(**settings):
        record = create(capi, files={"one": ("a.txt", b"x")})
        response = capi.get(f"/api/files/{folder(record)}/{record['one']}")
    assert response.status_code == 200
