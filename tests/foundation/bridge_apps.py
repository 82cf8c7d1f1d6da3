"""Small apps that exercise the ASGI→WSGI bridge.

- ``urlpatterns``: Django views, used as ``ROOT_URLCONF`` for in-process tests.
- ``app``: the bridge around a plain WSGI app, served by a real granian in a
  subprocess (``granian --interface asginl tests.foundation.bridge_apps:app``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from django.http import FileResponse, HttpRequest, JsonResponse, StreamingHttpResponse
from django.urls import path

from baas.bridge import WSGIBridge

# --- Django views ------------------------------------------------------------------


def upload(request: HttpRequest) -> JsonResponse:
    """Hashes a multipart file: Django streams it to a temp file, the bridge spooled it."""
    sent = request.FILES["file"]
    digest = hashlib.sha256()
    for chunk in sent.chunks():
        digest.update(chunk)
    return JsonResponse(
        {"size": sent.size, "sha256": digest.hexdigest(), "note": request.POST.get("note")}
    )


def download(request: HttpRequest) -> FileResponse:
    return FileResponse(open(request.GET["path"], "rb"))  # noqa: SIM115 - the response closes it


def stream(request: HttpRequest) -> StreamingHttpResponse:
    count = int(request.GET.get("count", "3"))
    return StreamingHttpResponse(
        (f"part {i}\n".encode() for i in range(count)), content_type="text/plain"
    )


def boom(request: HttpRequest) -> JsonResponse:
    raise RuntimeError("internal detail that must not reach the client")


urlpatterns = [
    path("upload", upload),
    path("download", download),
    path("stream", stream),
    path("boom", boom),
]


# --- a plain WSGI app for the granian round trip --------------------------------------

StartResponse = Callable[..., Any]


def echo_wsgi(environ: dict[str, Any], start_response: StartResponse) -> Any:
    if environ["PATH_INFO"] == "/stream":
        return _stream_until(environ, start_response)
    body = environ["wsgi.input"].read()
    reply = f'{{"length":{len(body)},"declared":{environ["CONTENT_LENGTH"]},"sha256":"{hashlib.sha256(body).hexdigest()}"}}'
    start_response("200 OK", [("Content-Type", "application/json")])
    return [reply.encode()]


def _stream_until(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
    """Sends ``first``, then waits for the client to create ``?flag=PATH`` before ``second``.

    The client only gets to create the flag if ``first`` reached it while the
    response was still open: proof that the bridge streams instead of buffering.
    """
    flag = Path(parse_qs(environ["QUERY_STRING"])["flag"][0])
    start_response("200 OK", [("Content-Type", "text/plain")])

    def chunks() -> Iterator[bytes]:
        yield b"first\n"
        deadline = time.monotonic() + 10
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        yield b"second\n" if flag.exists() else b"timeout\n"

    return chunks()


app = WSGIBridge(echo_wsgi, threads=4)
