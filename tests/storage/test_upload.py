"""Uploads, modifiers and limits (wire-api §1.2, §2.5, §2.6), on local storage and S3."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.storage.conftest import RECORDS, png

pytestmark = pytest.mark.django_db

NAME = r"[a-z0-9_]+_[a-z0-9]{10}"


def stored_name(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace("{n}", NAME))


# (description, files, json body, expected status, {field: regex or list of regexes})
CREATE_SCENARIOS = [
    ("one file", {"one": ("hello.txt", b"hello")}, None, 200, {"one": r"hello_[a-z0-9]{10}\.txt"}),
    (
        "a single field keeps the last of two",
        {"one": [("a.txt", b"a"), ("b.txt", b"b")]},
        None,
        200,
        {"one": r"b[a-z0-9]{10}_[a-z0-9]{10}\.txt"},
    ),
    (
        "several files, in order",
        {"many": [("first.txt", b"1"), ("second.txt", b"2")]},
        None,
        200,
        {"many": [r"first_[a-z0-9]{10}\.txt", r"second_[a-z0-9]{10}\.txt"]},
    ),
    (
        "JSON body through @jsonPayload beside files (JS/Dart SDKs)",
        {"one": ("x.txt", b"x")},
        {"title": "hi"},
        200,
        {"title": r"hi", "one": r"x[a-z0-9]{10}_[a-z0-9]{10}\.txt"},
    ),
    (
        "no extension: taken from the sniffed type",
        {"one": ("noext", b"plain words\n")},
        None,
        200,
        {"one": r"noext_[a-z0-9]{10}\.txt"},
    ),
    (
        "the client's content type is ignored",
        {"pngs": ("pic", png(), "text/plain")},
        None,
        200,
        {"pngs": [r"pic_[a-z0-9]{10}\.png"]},
    ),
    (
        "a path in the filename is dropped",
        {"one": ("../../etc/passwd", b"x")},
        None,
        200,
        {"one": r"passwd_[a-z0-9]{10}"},
    ),
]


@pytest.mark.parametrize(
    "files, body, status, expected",
    [s[1:] for s in CREATE_SCENARIOS],
    ids=[s[0] for s in CREATE_SCENARIOS],
)
def test_create_with_files(
    capi: Any, docs: dict, storage: Any, files: dict, body: Any, status: int, expected: dict
) -> None:
    response = capi.post(RECORDS, json=body, files=files)
    assert response.status_code == status, response.content
    record = response.json()
    for name, pattern in expected.items():
        value = record[name]
        if isinstance(pattern, list):
            assert len(value) == len(pattern)
            for item, item_pattern in zip(value, pattern, strict=True):
                assert re.fullmatch(item_pattern, item), (item, item_pattern)
        else:
            assert re.fullmatch(pattern, value), (value, pattern)
    names = [v for f in ("one", "many", "pngs") for v in _as_list(record[f])]
    prefix = f"{record['collectionId']}/{record['id']}"
    assert storage.paths(prefix) == sorted(f"{prefix}/{n}" for n in names)


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else ([value] if value else [])


def test_uploaded_bytes_are_stored_unchanged(capi: Any, docs: dict, storage: Any) -> None:
    content = bytes(range(256)) * 40_000  # ~10 MB: past Django's in-memory upload limit
    response = capi.post(RECORDS, files={"many": ("blob.bin", content)})
    assert response.status_code == 400  # over the 5 MiB default
    assert response.json()["data"]["many"]["code"] == "validation_file_size_limit"
    small = content[:1_000_000]
    record = capi.post(RECORDS, files={"many": ("blob.bin", small)}).json()
    path = f"{record['collectionId']}/{record['id']}/{record['many'][0]}"
    assert storage.read(path) == small


def _record_with(capi: Any, **files: Any) -> dict:
    response = capi.post(RECORDS, files=files)
    assert response.status_code == 200, response.content
    return response.json()


# Update scenarios on a record with many = [a, b]. Each entry: description, how to send
# (a function of the current names returning request kwargs), expected names as
# tokens: "a"/"b" the old files, "new*" fresh uploads (in order), and the expected status.
UPDATE_SCENARIOS = [
    ("plain upload replaces", lambda a, b: {"files": {"many": ("n.txt", b"n")}}, ["new"]),
    ("field+ appends", lambda a, b: {"files": {"many+": ("n.txt", b"n")}}, ["a", "b", "new"]),
    ("+field prepends", lambda a, b: {"files": {"+many": ("n.txt", b"n")}}, ["new", "a", "b"]),
    ("field- removes by name", lambda a, b: {"json": {"many-": [a]}}, ["b"]),
    ("field- with a single name", lambda a, b: {"json": {"many-": b}}, ["a"]),
    (
        "field- of an unknown name is ignored",
        lambda a, b: {"json": {"many-": ["x.txt"]}},
        ["a", "b"],
    ),
    ('"" removes all', lambda a, b: {"json": {"many": ""}}, []),
    ("[] removes all", lambda a, b: {"json": {"many": []}}, []),
    ("null removes all", lambda a, b: {"json": {"many": None}}, []),
    ("names keep and reorder", lambda a, b: {"json": {"many": [b, a]}}, ["b", "a"]),
    ("names keep a subset", lambda a, b: {"json": {"many": [b]}}, ["b"]),
    (
        "kept name plus upload under the plain key (JS SDK FormData)",
        lambda a, b: {"files": {"many": [b, ("n.txt", b"n")]}},
        ["b", "new"],
    ),
    (
        "replace then prepend, as the peer",
        lambda a, b: {"files": {"many": ("p.txt", b"p"), "+many": ("q.txt", b"q")}},
        ["new2", "new1"],
    ),
    (
        "remove and append together",
        lambda a, b: {"json": {"many-": [a]}, "files": {"many+": ("n.txt", b"n")}},
        ["b", "new"],
    ),
    ("untouched field stays", lambda a, b: {"json": {"title": "t"}}, ["a", "b"]),
]


@pytest.mark.parametrize(
    "send, expected", [s[1:] for s in UPDATE_SCENARIOS], ids=[s[0] for s in UPDATE_SCENARIOS]
)
def test_update_modifiers(
    capi: Any, docs: dict, storage: Any, superuser_token: str, send: Any, expected: list
) -> None:
    record = _record_with(capi, many=[("a.txt", b"a"), ("b.txt", b"b")])
    a, b = record["many"]
    prefix = f"{record['collectionId']}/{record['id']}"
    response = capi.patch(f"{RECORDS}/{record['id']}", token=superuser_token, **send(a, b))
    assert response.status_code == 200, response.content
    value = response.json()["many"]
    assert len(value) == len(expected)
    for item, token in zip(value, expected, strict=True):
        if token == "a":
            assert item == a
        elif token == "b":
            assert item == b
        else:
            assert item not in (a, b)
    # Storage holds exactly the referenced files: removed ones went after commit.
    assert storage.paths(prefix) == sorted(f"{prefix}/{name}" for name in value)


# (description, field, request kwargs, code, params)
LIMIT_SCENARIOS = [
    (
        "too big",
        {"files": {"small": ("big.txt", b"x" * 11)}},
        "small",
        "validation_file_size_limit",
        {"file": "big.txt", "maxSize": 10},
    ),
    (
        "too many at once",
        {"files": {"many": [(f"{i}.txt", b"x") for i in range(5)]}},
        "many",
        "validation_too_many_files",
        {"maxSelect": 4},
    ),
    (
        "sniffed type not allowed, whatever the header says",
        {"files": {"pngs": ("fake.png", b"just text", "image/png")}},
        "pngs",
        "validation_invalid_mime_type",
        None,
    ),
    (
        "a name that is not one of the record's files",
        {"json": {"many": ["nope.txt"]}},
        "many",
        "validation_invalid_file",
        {"invalidFiles": ["nope.txt"]},
    ),
]


@pytest.mark.parametrize(
    "send, field, code, params",
    [s[1:] for s in LIMIT_SCENARIOS],
    ids=[s[0] for s in LIMIT_SCENARIOS],
)
def test_limits_refuse_and_store_nothing(
    capi: Any, docs: dict, storage: Any, send: dict, field: str, code: str, params: Any
) -> None:
    response = capi.post(RECORDS, **send)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["message"] == "Failed to create record."
    error = body["data"][field]
    assert error["code"] == code
    assert error.get("params") == params
    assert storage.paths() == []


def test_too_many_counts_existing_files(
    capi: Any, docs: dict, storage: Any, superuser_token: str
) -> None:
    record = _record_with(capi, many=[("a.txt", b"a"), ("b.txt", b"b")])
    prefix = f"{record['collectionId']}/{record['id']}"
    before = storage.paths(prefix)
    response = capi.patch(
        f"{RECORDS}/{record['id']}",
        files={"many+": [("c.txt", b"c"), ("d.txt", b"d"), ("e.txt", b"e")]},
        token=superuser_token,
    )
    assert response.status_code == 400
    assert response.json()["data"]["many"]["params"] == {"maxSelect": 4}
    assert storage.paths(prefix) == before


def test_a_single_file_field_replaces_on_append(
    capi: Any, docs: dict, storage: Any, superuser_token: str
) -> None:
    record = _record_with(capi, one=("a.txt", b"a"))
    prefix = f"{record['collectionId']}/{record['id']}"
    response = capi.patch(
        f"{RECORDS}/{record['id']}", files={"one+": ("b.txt", b"b")}, token=superuser_token
    )
    assert response.status_code == 200
    new = response.json()["one"]
    assert new != record["one"] and new.startswith("b")
    assert storage.paths(prefix) == [f"{prefix}/{new}"]


def test_required_file_field(
    make_collection: Any, capi: Any, storage: Any, superuser_token: str
) -> None:
    make_collection(
        {
            "name": "needs",
            "type": "base",
            "createRule": "",
            "updateRule": "",
            "fields": [{"name": "doc", "type": "file", "maxSelect": 1, "required": True}],
        }
    )
    missing = capi.post("/api/collections/needs/records", json={})
    assert missing.status_code == 400
    assert missing.json()["data"]["doc"]["code"] == "validation_required"
    created = capi.post("/api/collections/needs/records", files={"doc": ("d.txt", b"d")})
    assert created.status_code == 200
    cleared = capi.patch(
        f"/api/collections/needs/records/{created.json()['id']}",
        json={"doc": ""},
        token=superuser_token,
    )
    assert cleared.status_code == 400
    assert cleared.json()["data"]["doc"]["code"] == "validation_required"
