"""Content types from the bytes, never from the client's header (wire-api §1.2, §5).

libmagic (Debian ``libmagic1``, through ``python-magic``) reads the first bytes of a
file. A ``magic.Magic`` handle is not thread-safe, so a thread borrows one from a
small pool for each sniff.
"""

from __future__ import annotations

import mimetypes
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import magic

SNIFF_BYTES = 16 * 1024
OCTET_STREAM = "application/octet-stream"

# Served inline; everything else is an attachment (the peer's list, wire-api §5).
# image/svg+xml is deliberately absent: an SVG opened directly could run script.
INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpg",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/x-icon",
        "image/vnd.microsoft.icon",
        "image/bmp",
        "video/webm",
        "video/mp4",
        "video/3gpp",
        "video/quicktime",
        "video/x-ms-wmv",
        "audio/basic",
        "audio/aiff",
        "audio/mpeg",
        "audio/midi",
        "audio/mp3",
        "audio/wave",
        "audio/wav",
        "audio/x-wav",
        "audio/x-mpeg",
        "audio/x-m4a",
        "audio/aac",
        "application/pdf",
        "application/x-pdf",
    }
)
THUMBABLE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# wire-api §5: sniffing is unreliable for these, so the extension decides when serving.
EXTENSION_TYPES = {
    ".svg": "image/svg+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_EXTENSIONS = {
    "text/plain": ".txt",
    "image/jpeg": ".jpg",
    "image/svg+xml": ".svg",
    "application/json": ".json",
    "text/html": ".html",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/gzip": ".gz",
    OCTET_STREAM: "",
    "application/x-empty": "",
    "inode/x-empty": "",
}
# Names that mean the same type, for ``mimeTypes`` checks.
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "text/xml": "application/xml",
    "image/vnd.microsoft.icon": "image/x-icon",
    "application/javascript": "text/javascript",
    "application/x-javascript": "text/javascript",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "application/x-zip-compressed": "application/zip",
    "application/x-pdf": "application/pdf",
    "audio/mp3": "audio/mpeg",
}

# Each handle holds ~8 MB (libmagic's compiled database and buffers): one per request
# thread came to ~64 MB in a worker that served uploads. libmagic runs outside the GIL
# (ctypes), so one handle per core gives the same throughput; a thread waits for a free
# one, as it would for the CPU.
HANDLES = 2
_free: queue.LifoQueue[magic.Magic] = queue.LifoQueue()
_turns = threading.BoundedSemaphore(HANDLES)


@contextmanager
def _magic() -> Iterator[magic.Magic]:
    with _turns:  # at most HANDLES in use, so at most HANDLES are ever made
        try:
            handle = _free.get_nowait()
        except queue.Empty:
            handle = magic.Magic(mime=True)
        try:
            yield handle
        finally:
            _free.put(handle)


def sniff_bytes(head: bytes) -> str:
    try:
        with _magic() as handle:
            found = handle.from_buffer(head)
    except magic.MagicException:
        return OCTET_STREAM
    mime = str(found or OCTET_STREAM).split(";", 1)[0].strip().lower()
    return OCTET_STREAM if mime in ("application/x-empty", "inode/x-empty") else mime


def sniff_file(file: IO[bytes]) -> str:
    """Sniff a seekable file's head and put it back where it was."""
    position = file.tell()
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(position)
    return sniff_bytes(head)


def extension_for(mime: str) -> str:
    if mime in _EXTENSIONS:
        return _EXTENSIONS[mime]
    return mimetypes.guess_extension(mime, strict=False) or ""


def canonical(mime: str) -> str:
    base = mime.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def is_allowed(mime: str, allowed: list[str]) -> bool:
    wanted = canonical(mime)
    return any(canonical(item) == wanted for item in allowed)


def served_type(sniffed: str, filename: str) -> str:
    """The Content-Type to send: the sniffed type, a few extension overrides, utf-8 text."""
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    mime = EXTENSION_TYPES.get(extension, sniffed)
    if mime.startswith("text/"):
        return f"{mime}; charset=utf-8"
    return mime


def is_inline(mime: str) -> bool:
    return mime.split(";", 1)[0].strip().lower() in INLINE_TYPES
