"""The buffered ASGI→WSGI bridge: in process with Django, then under a real granian."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished
from django.test import override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from baas import bridge
from baas.bridge import WSGIBridge
from tests import services

MB = 1024 * 1024
T = TypeVar("T")


def http_scope(
    method: str, path: str, query: bytes = b"", headers: list | None = None
) -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": headers or [],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8090),
    }


def call(
    app: WSGIBridge, scope: dict[str, Any], body: bytes = b"", chunk: int = 64 * 1024
) -> list[dict]:
    """Runs one request through the ASGI app; returns what it sent."""
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    incoming = [
        {"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
        for i, p in enumerate(pieces)
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    run_in_own_loop(app(scope, receive, send))
    return sent


def run_in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: some fixtures (Playwright's sync API)
    leave an event loop running in the main thread, where ``asyncio.run`` refuses."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def status_of(sent: list[dict]) -> int:
    return sent[0]["status"]


def headers_of(sent: list[dict]) -> dict[bytes, bytes]:
    return dict(sent[0]["headers"])


def body_of(sent: list[dict]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture
def django_bridge() -> Iterator[WSGIBridge]:
    with override_settings(ROOT_URLCONF="tests.foundation.bridge_apps"):
        app = WSGIBridge(WSGIHandler(), threads=2)
        yield app
        app.shutdown()


@pytest.fixture
def finished() -> Iterator[list[str]]:
    """Names of the threads in which Django's ``request_finished`` fired."""
    threads: list[str] = []

    def record(**kwargs: Any) -> None:
        threads.append(threading.current_thread().name)

    request_finished.connect(record)
    yield threads
    request_finished.disconnect(record)


def test_a_buffered_answer_is_sent_whole_with_its_length(django_bridge, finished):
    sent = call(django_bridge, http_scope("GET", "/nothing-here"))
    assert status_of(sent) == 404
    assert len(sent) == 2  # start + one body message: buffered
    assert headers_of(sent)[b"content-length"] == str(len(body_of(sent))).encode()
    assert finished and all(name.startswith("baas-wsgi") for name in finished)


def test_a_large_multipart_upload_is_spooled_to_disk_and_arrives_intact(django_bridge, monkeypatch):
    spooled = []
    real = bridge.tempfile.SpooledTemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        spooled.append(real(*args, **kwargs))
        return spooled[-1]

    monkeypatch.setattr(bridge.tempfile, "SpooledTemporaryFile", spy)
    content = os.urandom(9 * MB)
    body = encode_multipart(
        BOUNDARY, {"note": "hi", "file": SimpleUploadedFile("big.bin", content)}
    )
    headers = [
        (b"content-type", MULTIPART_CONTENT.encode()),
        (b"content-length", str(len(body)).encode()),
    ]

    sent = call(django_bridge, http_scope("POST", "/upload", headers=headers), body)

    assert status_of(sent) == 200, body_of(sent)
    assert body_of(sent) == (
        b'{"size": %d, "sha256": "%s", "note": "hi"}'
        % (len(content), hashlib.sha256(content).hexdigest().encode())
    )
    assert spooled[0]._rolled  # past SPOOL_MAX_MEMORY the body went to a temp file


def test_a_chunked_request_without_content_length_gets_its_real_length(django_bridge):
    content = b"x" * 300_000
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("a.txt", content)})
    sent = call(
        django_bridge,
        http_scope("POST", "/upload", headers=[(b"content-type", MULTIPART_CONTENT.encode())]),
        body,
    )
    assert status_of(sent) == 200
    assert b'"size": 300000' in body_of(sent)


def test_a_file_response_streams_in_large_chunks_and_closes(django_bridge, finished, tmp_path):
    content = os.urandom(3 * MB + 123)
    path = tmp_path / "download.bin"
    path.write_bytes(content)

    sent = call(django_bridge, http_scope("GET", "/download", f"path={path}".encode()))

    assert status_of(sent) == 200
    assert headers_of(sent)[b"content-length"] == str(len(content)).encode()
    assert body_of(sent) == content
    chunks = [m for m in sent[1:] if m.get("body")]
    assert len(chunks) == -(
        -len(content) // bridge.FILE_CHUNK_SIZE
    )  # wsgi.file_wrapper's block size
    assert sent[-1] == {"type": "http.response.body", "body": b""}
    assert len(finished) == 1  # FileResponse.close() ran: request_finished fired


def test_a_streaming_response_is_sent_as_it_is_produced(django_bridge, finished):
    sent = call(django_bridge, http_scope("GET", "/stream", b"count=5"))
    assert status_of(sent) == 200
    assert [m["body"] for m in sent[1:-1]] == [f"part {i}\n".encode() for i in range(5)]
    assert all(m.get("more_body") for m in sent[1:-1])
    assert len(finished) == 1


def test_head_sends_headers_without_a_body(django_bridge):
    sent = call(django_bridge, http_scope("HEAD", "/stream", b"count=2"))
    assert status_of(sent) == 200
    assert body_of(sent) == b""


def test_an_error_in_a_view_is_the_envelope_500_without_details(django_bridge):
    sent = call(django_bridge, http_scope("GET", "/boom"))
    assert status_of(sent) == 500
    assert b"internal detail" not in body_of(sent)


def test_an_error_in_the_bridge_itself_is_a_500_envelope():
    def broken(environ: dict, start_response: Any) -> Any:
        raise RuntimeError("broken app")

    app = WSGIBridge(broken, threads=1)
    sent = call(app, http_scope("GET", "/"))
    app.shutdown()
    assert status_of(sent) == 500
    assert body_of(sent).startswith(b'{"status":500')


def test_a_client_that_leaves_before_its_body_arrives_gets_nothing():
    called = []
    app = WSGIBridge(lambda environ, start_response: called.append(1) or [], threads=1)
    sent: list[dict] = []
    messages = [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict:
        return messages.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    run_in_own_loop(app(http_scope("POST", "/"), receive, send))
    app.shutdown()
    assert sent == [] and called == []


def test_environ_follows_pep_3333():
    scope = http_scope(
        "GET",
        "/api/files/é",
        b"a=1&b=2",
        headers=[
            (b"x-thing", b"1"),
            (b"x-thing", b"2"),
            (b"content-type", b"text/plain"),
            (b"content-length", b"99"),
        ],
    )
    body = bridge.tempfile.SpooledTemporaryFile()
    body.write(b"hello")
    environ = bridge.build_environ(scope, body)
    assert environ["PATH_INFO"] == "/api/files/é".encode().decode("latin-1")
    assert environ["QUERY_STRING"] == "a=1&b=2"
    assert environ["HTTP_X_THING"] == "1,2"
    assert environ["CONTENT_TYPE"] == "text/plain"
    assert environ["CONTENT_LENGTH"] == "5"  # what was read, not what was claimed
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["wsgi.input"].read() == b"hello"


# --- under a real granian ---------------------------------------------------------


@pytest.fixture(scope="module")
def granian_echo() -> Iterator[str]:
    port = services.free_port()
    command = [
        str(services.BIN / "granian"), "--interface", "asginl", "--host", "127.0.0.1", "--port", str(port),
        "--working-dir", str(services.REPO), "tests.foundation.bridge_apps:app",
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        services.wait_until(lambda: services.port_open("127.0.0.1", port), 30, "granian")
        yield f"http://127.0.0.1:{port}"
    finally:
        services.stop_process(proc)


def test_granian_large_post_body_arrives_whole(granian_echo):
    content = os.urandom(20 * MB)
    reply = requests.post(f"{granian_echo}/echo", data=content, timeout=60).json()
    assert reply == {
        "length": len(content),
        "declared": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def test_granian_chunked_post_body_arrives_whole(granian_echo):
    parts = [os.urandom(100_000) for _ in range(30)]
    reply = requests.post(f"{granian_echo}/echo", data=iter(parts), timeout=60).json()
    content = b"".join(parts)
    assert reply == {
        "length": len(content),
        "declared": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def test_granian_streaming_response_reaches_the_client_before_it_ends(granian_echo, tmp_path):
    flag = tmp_path / "flag"
    with requests.get(
        f"{granian_echo}/stream", params={"flag": str(flag)}, stream=True, timeout=30
    ) as response:
        lines = response.iter_lines()
        assert next(lines) == b"first"
        flag.touch()  # only now may the server produce the rest
        assert next(lines) == b"second"


def test_a_generator_app_may_start_its_response_on_the_first_step():
    def lazy(environ: dict, start_response: Any) -> Any:
        start_response("201 Created", [("X-Lazy", "yes")])
        yield b"made"

    app = WSGIBridge(lazy, threads=1)
    sent = call(app, http_scope("GET", "/"))
    app.shutdown()
    assert status_of(sent) == 201
    assert headers_of(sent)[b"x-lazy"] == b"yes"
    assert body_of(sent) == b"made"


def test_the_legacy_write_callable_comes_before_the_iterable() -> None:
    """PEP 3333's ``write()`` from ``start_response``: its bytes lead the answer, buffered
    or streamed."""

    def buffered(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"hello ")
        write(b"legacy ")
        return [b"world"]

    def streamed(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])(b"first, ")
        return (chunk for chunk in [b"then", b" more"])

    for app_func, expected in ((buffered, b"hello legacy world"), (streamed, b"first, then more")):
        app = WSGIBridge(app_func, threads=1)
        try:
            sent = call(app, http_scope("GET", "/"))
        finally:
            app.shutdown()
        assert status_of(sent) == 200 and body_of(sent) == expected
        if app_func is buffered:
            assert headers_of(sent)[b"content-length"] == b"18"
