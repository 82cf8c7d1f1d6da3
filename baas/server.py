"""One origin, two engines (DESIGN §8): the ASGI application ``baas serve`` runs.

A thin path router under granian: the realtime paths go to native async handlers,
everything else to Django's WSGI app through the buffered bridge (``baas.bridge``);
a GET of records (list, one) to a shorter Django handler through the same bridge
(``baas.collections.api.fast``, off with ``BAAS_FAST_PATH=0``).

The realtime side is a hook: if ``baas.realtime.asgi`` exists, its ``application``
(``async def application(scope, receive, send)``) gets every ``http`` and
``websocket`` scope under ``REALTIME_PREFIXES``; optional ``async def startup()``
and ``async def shutdown()`` in that module run with the server's lifespan.
Without the module those paths answer the contract's JSON 404.
"""

from __future__ import annotations

import ctypes
import importlib
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from baas.bridge import Receive, Scope, Send, WSGIApp, WSGIBridge

log = logging.getLogger("baas.server")

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REALTIME_PREFIXES = ("/api/realtime", "/api/ws")
REALTIME_MODULE = "baas.realtime.asgi"
WSGI_THREADS = 8
BACKLOG = 16384

_NOT_FOUND = b'{"status":404,"message":"The requested resource wasn\'t found.","data":{}}'


async def realtime_not_found(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_NOT_FOUND)).encode()),
    ]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": _NOT_FOUND})


class Router:
    """``async def app(scope, receive, send)``: lifespan, realtime paths, the rest to Django."""

    def __init__(self, realtime_module: str = REALTIME_MODULE) -> None:
        self.realtime_module_name = realtime_module
        self.http: WSGIBridge | None = None
        self.realtime: ASGIApp = realtime_not_found
        self.realtime_module: Any = None
        self.fast: WSGIApp | None = None

    def pick(self, scope: Scope) -> WSGIApp | None:
        """The records fast path (``baas.collections.api.fast``) for the requests it may answer."""
        from baas.collections.api.fast import wanted

        return self.fast if self.fast is not None and wanted(scope) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.lifespan(receive, send)
            return
        if self.http is None:
            self.load()
        if scope["path"].startswith(REALTIME_PREFIXES):
            await self.realtime(scope, receive, send)
        elif kind == "http":
            assert self.http is not None
            await self.http(scope, receive, send)
        elif scope["path"].rstrip("/") == "/api/graphql":  # subscriptions (docs/graphql.md)
            from baas.graphql.ws import application as graphql_ws

            await graphql_ws(scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1008})

    def load(self) -> None:
        """Set up Django and find the realtime handler (once per worker process)."""
        tune_malloc()  # again: a worker started with "spawn" does not inherit it
        start_trimming()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baas.settings")
        from django.core.wsgi import get_wsgi_application

        django_app = get_wsgi_application()
        self.fast = _fast_path(django_app)
        self.http = WSGIBridge(django_app, threads=WSGI_THREADS, pick=self.pick)
        self.realtime_module = _import_optional(self.realtime_module_name)
        if self.realtime_module is not None:
            self.realtime = self.realtime_module.application

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            step = message["type"].removeprefix("lifespan.")
            if step not in {"startup", "shutdown"}:
                return
            if not await self._lifespan_step(step, send) or step == "shutdown":
                return

    async def _lifespan_step(self, step: str, send: Send) -> bool:
        try:
            if step == "startup":
                self.load()
            hook = getattr(self.realtime_module, step, None)
            if hook is not None:
                await hook()
            if step == "shutdown" and self.http is not None:
                self.http.shutdown()
        except Exception as exc:
            log.exception("lifespan %s failed", step)
            await send({"type": f"lifespan.{step}.failed", "message": str(exc)})
            return False
        await send({"type": f"lifespan.{step}.complete"})
        return True


def _fast_path(django_app: WSGIApp) -> WSGIApp | None:
    from baas.collections.api import fast

    return fast.RecordFastPath(django_app) if fast.enabled() else None


def _import_optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise  # the module exists but something it imports is missing
        return None


app = Router()

# glibc's mallopt parameter (malloc.h)
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def tune_malloc() -> None:
    """At most two glibc malloc heaps ("arenas") per process instead of eight per core.

    Each of a worker's request threads got a heap of its own and kept what it had
    used: after the bench's sign-ins (Argon2 takes 19 MiB per hash, outside the GIL)
    every one of the 8 threads of each worker held its 19 MiB, 150 MB more per worker
    (bench/PROFILE.md, memory). Allocation stays fast: Python allocates under the
    GIL, so the threads hardly ever compete for a heap. glibc's other defaults stay:
    a fixed 1 MiB mmap threshold would return Argon2's block after every hash, at
    18 ms of page faults per sign-in.

    ``MALLOC_ARENA_MAX`` in the environment takes precedence. Nothing happens on
    another C library.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, MALLOC_ARENAS)  # the C library in the process
    except (OSError, AttributeError):
        return


TRIM_INTERVAL = 10.0  # seconds
_trimming = threading.Event()


def start_trimming(interval: float = TRIM_INTERVAL) -> bool:
    """Give free heap memory back to the system every ``interval`` seconds (once per process).

    glibc returns a heap's free memory only from its top; the rest stays in the
    process. Argon2's 19 MiB blocks, freed after each hash, are where the next small
    objects land, so the following hash takes fresh memory and the heaps grow: after
    the bench's seeding (100 hashes) each worker held 30-55 MB of free memory
    (``malloc_trim(0)`` from gdb: 197 -> 168 and 202 -> 147 MB; bench/PROFILE.md).
    ``malloc_trim(0)`` releases the free pages wherever they are. Its cost: ~6 ms
    with 40 MB to release, ~0.1 ms with nothing, and the next hash in each heap
    faults its 19 MiB back in (~18 ms of CPU), so at most a few hashes per interval
    pay it; trimming after every hash would add 18 ms to each (41 -> 59 ms).
    False when it was already started or there is no glibc ``malloc_trim``.
    """
    if _trimming.is_set():
        return False
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    _trimming.set()

    def loop() -> None:
        while True:
            time.sleep(interval)
            trim(0)

    threading.Thread(target=loop, name="baas-malloc-trim", daemon=True).start()
    return True


def run(host: str, port: int, workers: int) -> None:
    """Serve ``app`` with granian until interrupted (blocks)."""
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    tune_malloc()  # before the workers are forked: they inherit it
    server = Server(
        "baas.server:app",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        # measurements.md: long-lived SSE connections count against granian's
        # per-worker request cap; the defaults locked clients out under load.
        backlog=BACKLOG,
        backpressure=max(BACKLOG // workers, 1024),
        websockets=True,
        # HTTP/1.1 only (browsers speak HTTP/2 only over TLS, which a proxy in front
        # ends): granian's auto-detecting connection took 27 KB per open connection
        # instead of 16 KB, 110 MB more with 10,000 SSE clients (bench/PROFILE.md).
        http=HTTPModes.http1,
        log_level=LogLevels.warning,
    )
    server.serve()
