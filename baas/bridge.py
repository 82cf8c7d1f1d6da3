"""A buffered ASGI→WSGI bridge for Django's HTTP API (DESIGN §8).

Measured (reference/measurements.md): streaming every response through a queue
(``a2wsgi``) costs up to 3× against plain WSGI; reading the whole request, running
the WSGI app in a bounded thread pool and sending the collected response matched
plain WSGI on database-backed views. So that is the default path here, with two
escapes for what must not sit in memory:

- request bodies spool to a temporary file past ``SPOOL_MAX_MEMORY``;
- streaming responses (``FileResponse``, ``StreamingHttpResponse``) are sent chunk
  by chunk, each chunk pulled in the pool, so a slow client holds no thread.

The WSGI response's ``close()`` always runs: it fires Django's ``request_finished``,
which does the connection housekeeping (``CONN_MAX_AGE``, broken connections).
The pool is bounded on purpose: every thread keeps its own persistent database
connection, and an unbounded pool exhausts PostgreSQL's connection limit.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

log = logging.getLogger("baas.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Pick = Callable[[Scope], "WSGIApp | None"]

SPOOL_MAX_MEMORY = 4 * 1024 * 1024
FILE_CHUNK_SIZE = 256 * 1024
DEFAULT_THREADS = 8

_ERROR_BODY = (
    b'{"status":500,"message":"Something went wrong while processing your request.","data":{}}'
)


class ClientGone(Exception):
    """The client disconnected before its request body arrived."""


class FileWrapper:
    """``wsgi.file_wrapper``: Django hands ``FileResponse`` files to it.

    Reads in larger blocks than Django's default 4 KB, and marks the response as
    one to stream. Django sets ``filelike.close`` to the response's close.
    """

    streaming = True

    def __init__(self, filelike: IO[bytes], block_size: int = FILE_CHUNK_SIZE):
        self.filelike = filelike
        self.block_size = max(block_size, FILE_CHUNK_SIZE)

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.filelike.read(self.block_size), b"")

    def close(self) -> None:
        self.filelike.close()


@dataclass
class WSGIResult:
    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    stream: Iterator[bytes] | None = None
    closeable: Any = None


class WSGIBridge:
    """``async def app(scope, receive, send)`` serving HTTP through a WSGI app."""

    def __init__(self, wsgi_app: WSGIApp, threads: int = DEFAULT_THREADS, pick: Pick | None = None):
        """``pick(scope)`` may name another WSGI app for a request (``baas.server``'s
        fast path); ``None`` from it, or no ``pick``, means ``wsgi_app``."""
        self.wsgi_app = wsgi_app
        self.pick = pick
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="baas-wsgi")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        try:
            body = await read_body(receive)
        except ClientGone:
            return
        loop = asyncio.get_running_loop()
        try:
            app = (self.pick(scope) if self.pick is not None else None) or self.wsgi_app
            environ = build_environ(scope, body)
            result = await loop.run_in_executor(self.pool, self._run, environ, app)
        except Exception:
            body.close()
            log.exception("WSGI application failed")
            await _send_error(send)
            return
        try:
            await self._respond(scope, result, send, loop)
        finally:
            body.close()

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, environ: dict[str, Any], app: WSGIApp | None = None) -> WSGIResult:
        """In a pool thread: call the app, buffer its answer unless it streams."""
        result = WSGIResult()
        written: list[bytes] = []  # PEP 3333's legacy write(): sent before the iterable
        started = False

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            nonlocal started
            started = True
            result.status = int(status.split(" ", 1)[0])
            result.headers = [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers
            ]
            return written.append

        iterable = (app or self.wsgi_app)(environ, start_response)
        if getattr(iterable, "streaming", not isinstance(iterable, list | tuple)):
            stream = iter(iterable)
            if not started:  # PEP 3333 lets a generator call start_response on its first step
                stream = itertools.chain([next(stream, b"")], stream)
            result.stream, result.closeable = itertools.chain(written, stream), iterable
            return result
        try:
            result.body = b"".join([*written, *iterable])
        finally:
            _close(iterable)
        return result

    async def _respond(
        self, scope: Scope, result: WSGIResult, send: Send, loop: asyncio.AbstractEventLoop
    ) -> None:
        head_only = scope["method"] == "HEAD"
        if result.stream is None:
            headers = result.headers
            if not any(name == b"content-length" for name, _ in headers):
                headers = [*headers, (b"content-length", str(len(result.body)).encode())]
            await send({"type": "http.response.start", "status": result.status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if head_only else result.body})
            return
        try:
            await send(
                {"type": "http.response.start", "status": result.status, "headers": result.headers}
            )
            if not head_only:
                await self._stream(result.stream, send, loop)
            await send({"type": "http.response.body", "body": b""})
        finally:
            await loop.run_in_executor(self.pool, _close, result.closeable)

    async def _stream(
        self, chunks: Iterator[bytes], send: Send, loop: asyncio.AbstractEventLoop
    ) -> None:
        while True:
            chunk = await loop.run_in_executor(self.pool, next, chunks, None)
            if chunk is None:
                return
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def read_body(receive: Receive) -> IO[bytes]:
    """The whole request body, in memory up to ``SPOOL_MAX_MEMORY``, then on disk."""
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone
    if not message.get("more_body", False):  # the usual case: one message, a small body
        return io.BytesIO(message.get("body", b""))
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_MEMORY)  # noqa: SIM115
    body.write(message.get("body", b""))
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            body.close()
            raise ClientGone
        body.write(message.get("body", b""))
    body.seek(0)
    return body


def build_environ(scope: Scope, body: IO[bytes]) -> dict[str, Any]:
    """PEP 3333 environ from an ASGI HTTP scope; the body length is known exactly."""
    root_path = scope.get("root_path", "")
    path = scope["path"]
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    body.seek(0, 2)
    length = body.tell()
    body.seek(0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": _wsgi_str(root_path),
        "PATH_INFO": _wsgi_str(path),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]) if server[1] is not None else "80",
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(length),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
    }
    _add_headers(environ, scope.get("headers", []))
    return environ


def _add_headers(environ: dict[str, Any], headers: Iterable[tuple[bytes, bytes]]) -> None:
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_LENGTH":
            continue  # the bridge read the body; its real length is already set
        key = name if name == "CONTENT_TYPE" else f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value


def _wsgi_str(text: str) -> str:
    """PEP 3333 "native strings": the UTF-8 bytes of the path, as latin-1."""
    return text.encode("utf-8").decode("latin-1")


def _close(iterable: Any) -> None:
    close = getattr(iterable, "close", None)
    if close is not None:
        close()


async def _send_error(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_ERROR_BODY)).encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": _ERROR_BODY})
