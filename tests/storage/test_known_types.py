"""Downloads don't run libmagic (bench/PROFILE.md §5): the type sniffed at upload is kept
(S3 stores it with the object; local files in a per-process table), and a file this
process has not seen, e.g. one uploaded before the change, is sniffed once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile

from baas.storage import names, serving, sniff
from tests.storage.conftest import RECORDS, png

pytestmark = pytest.mark.django_db


def url(record: dict, filename: str) -> str:
    return f"/api/files/{record['collectionId']}/{record['id']}/{filename}"


@pytest.fixture
def sniffs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts libmagic calls (sniffing still works)."""
    calls: list[int] = []
    real = sniff.sniff_bytes

    def counting(head: bytes) -> str:
        calls.append(len(head))
        return real(head)

    monkeypatch.setattr(sniff, "sniff_bytes", counting)
    return calls


@pytest.fixture
def record(capi: Any, docs: dict, storage: Any) -> dict:
    serving.known_types.clear()
    response = capi.post(
        RECORDS,
        files={"many": [("a", png(), "text/plain"), ("b", b"<html>x</html>", "image/png")]},
    )
    assert response.status_code == 200, response.content
    return response.json()


def types(capi: Any, record: dict) -> list[str]:
    return [capi.get(url(record, name))["Content-Type"] for name in record["many"]]


EXPECTED = ["image/png", "text/html; charset=utf-8"]


def test_downloads_serve_the_type_sniffed_at_upload(
    capi: Any, record: dict, sniffs: list[int]
) -> None:
    assert types(capi, record) == EXPECTED
    assert types(capi, record) == EXPECTED
    assert sniffs == []


def test_a_file_this_process_has_not_seen_is_sniffed_once(
    capi: Any, record: dict, storage: Any, sniffs: list[int]
) -> None:
    serving.known_types.clear()  # another process, or a file uploaded before the change
    assert types(capi, record) == EXPECTED
    assert types(capi, record) == EXPECTED
    assert len(sniffs) == (0 if storage.kind == "s3" else 2)


def test_a_file_replaced_in_place_gets_its_new_type(
    capi: Any, record: dict, storage: Any, sniffs: list[int]
) -> None:
    assert types(capi, record) == EXPECTED
    path = names.file_path(record["collectionId"], record["id"], record["many"][0])
    target = storage.adapter
    target.delete(path)
    pdf = ContentFile(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    pdf.content_type = "application/pdf"  # as the upload path saves (S3 keeps it)
    target.save(path, pdf)
    replaced = capi.get(url(record, record["many"][0]))
    assert replaced["Content-Type"] == "application/pdf"
