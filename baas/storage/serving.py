"""Serving stored files (wire-api §5, §9): who may read, and the response to send.

Only ``protected`` fields consult the record's viewRule, evaluated through the record
service with the *file token's* auth (``?token=``) and ``@request.context =
"protectedFile"``; the ``Authorization`` header plays no part. Other files are served
to anyone with the URL, as on the peer (an owner-only users viewRule must not break
``<img src>`` avatars). Every miss is the same 404 envelope.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import http_date, parse_http_date_safe

from baas.api.errors import ApiError, NotFound
from baas.auth.context import GUEST, AuthContext
from baas.collections.fields.multi import as_list
from baas.collections.models import Collection
from baas.storage import names, sniff, thumbs
from baas.storage.backends import Adapter, S3Adapter, Stat, adapter, reaching_storage

CACHE_CONTROL = "max-age=2592000, stale-while-revalidate=86400"
CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass
class Located:
    collection: Collection
    record_id: str
    filename: str
    field: dict[str, Any]


def find_collection(id_or_name: str) -> Collection:
    from baas.collections.models import lookup

    found = lookup(id_or_name)  # per-process cache, checked against the database
    if found is None:
        raise NotFound("Missing or invalid collection context.")
    return found


def locate(request: HttpRequest, collection_ref: str, record_id: str, filename: str) -> Located:
    """The file field holding ``filename`` on a record the caller may read it from."""
    from baas.collections.records import rows

    collection = find_collection(collection_ref)
    if not names.is_safe_id(record_id) or not names.is_safe_name(filename):
        raise NotFound()
    row = rows.fetch_one(collection, record_id)
    if row is None:
        raise NotFound()
    field = next(
        (
            f
            for f in collection.fields
            if f["type"] == "file" and filename in as_list(row.get(f["name"]))
        ),
        None,
    )
    if field is None:
        raise NotFound()
    if field.get("protected"):
        check_protected(request, collection, record_id)
    return Located(collection, record_id, filename, field)


def file_viewer(request: HttpRequest) -> AuthContext:
    from baas.auth.middleware import resolve_token

    token = request.GET.get("token", "")
    return resolve_token(token, token_type="file") if token else GUEST


def check_protected(request: HttpRequest, collection: Collection, record_id: str) -> None:
    from baas.collections.records import RecordService
    from baas.collections.records.service import Call

    call = Call(
        viewer=file_viewer(request),
        method=request.method or "GET",
        context="protectedFile",
        query={k: str(v) for k, v in request.GET.items()},
        headers={k.lower().replace("-", "_"): v for k, v in request.headers.items()},
    )
    try:
        RecordService().get_record(collection, record_id, call)
    except ApiError:  # a rule miss or a locked rule: the file does not exist for this caller
        raise NotFound() from None


def serve(request: HttpRequest, located: Located) -> HttpResponseBase:
    target = adapter()
    cid, rid = located.collection.id, located.record_id
    with reaching_storage("reading a file"):
        path = names.file_path(cid, rid, located.filename)
        stat = target.stat(path)
        if stat is None:
            raise NotFound()
        mime = stored_type(target, path, stat)
        served_name = located.filename
        spec = request.GET.get("thumb", "")
        if spec and mime in sniff.THUMBABLE_TYPES and thumbs.is_allowed(located.field, spec):
            thumb = thumbs.ensure_thumb(target, cid, rid, located.filename, spec, mime)
            thumb_stat = target.stat(thumb) if thumb else None
            if thumb and thumb_stat:
                path, stat, served_name = thumb, thumb_stat, f"{spec}_{located.filename}"
        return _respond(request, target, path, stat, mime, served_name, located)


def stored_type(target: Adapter, path: str, stat: Stat) -> str:
    """The type recorded at upload (S3 keeps it; local files in ``known_types``) or, without
    one, sniffed from the first bytes (once per file and process)."""
    recorded = (stat.content_type or "").split(";", 1)[0].strip().lower()
    if recorded and recorded not in (sniff.OCTET_STREAM, "binary/octet-stream"):
        return recorded
    known = known_types.get(path, stat)
    if known is not None:
        return known
    sniffed = sniff.sniff_bytes(target.head(path, min(stat.size, sniff.SNIFF_BYTES)))
    known_types.put(path, stat, sniffed)
    return sniffed


class KnownTypes:
    """Sniffed types of local files by (path, size, modified time), most recent first.

    libmagic on every download was a quarter of a download's CPU (bench/PROFILE.md §5).
    Uploads record their type here as they are saved; a file this process has not seen
    (uploaded by another process, or before a restart) is sniffed once. A file replaced
    in place has another size or time, so it never gets a stale type.
    """

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self._types: OrderedDict[tuple[str, int, Any], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str, stat: Stat) -> str | None:
        if stat.modified is None:
            return None
        key = (path, stat.size, stat.modified)
        with self._lock:
            found = self._types.get(key)
            if found is not None:
                self._types.move_to_end(key)
            return found

    def put(self, path: str, stat: Stat, mime: str) -> None:
        if stat.modified is None:
            return
        with self._lock:
            self._types[(path, stat.size, stat.modified)] = mime
            self._types.move_to_end((path, stat.size, stat.modified))
            while len(self._types) > self.limit:
                self._types.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._types.clear()


known_types = KnownTypes()


def record_upload(target: Adapter, path: str, mime: str) -> None:
    """Remember the type sniffed at upload, for storages that keep none (local files)."""
    if isinstance(target, S3Adapter):
        return  # S3 keeps the type given at save (``Stat.content_type``)
    stat = target.stat(path)
    if stat is not None:
        known_types.put(path, stat, mime)


def _wants_download(request: HttpRequest) -> bool:
    value = request.GET.get("download")
    return value is not None and value.lower() not in ("", "0", "false")


def _headers(
    request: HttpRequest, stat: Stat, mime: str, served_name: str, protected: bool
) -> dict[str, str]:
    content_type = sniff.served_type(mime, served_name)
    inline = sniff.is_inline(content_type) and not _wants_download(request)
    headers = {
        "Content-Type": content_type,
        "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{served_name}"',
        "Cache-Control": f"private, {CACHE_CONTROL}" if protected else CACHE_CONTROL,
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
    }
    if stat.modified is not None:
        headers["Last-Modified"] = http_date(stat.modified.timestamp())
    return headers


def _respond(
    request: HttpRequest,
    target: Adapter,
    path: str,
    stat: Stat,
    mime: str,
    served_name: str,
    located: Located,
) -> HttpResponseBase:
    headers = _headers(request, stat, mime, served_name, bool(located.field.get("protected")))
    redirect = _presigned(target, path, headers)
    if redirect is not None:
        return redirect
    if _not_modified(request, stat):
        response = HttpResponse(status=304)
        for name in ("Cache-Control", "Last-Modified"):
            if name in headers:
                response[name] = headers[name]
        return response
    start, length, status = 0, stat.size, 200
    wanted = parse_range(request.META.get("HTTP_RANGE", ""), stat.size)
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{stat.size}"
        return response
    if isinstance(wanted, tuple):
        start, length, status = wanted[0], wanted[1], 206
        headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{stat.size}"
    headers["Content-Length"] = str(length)
    response_class: Any = HttpResponse if request.method == "HEAD" else StreamingHttpResponse
    if request.method == "HEAD":
        response = response_class(status=status)
    else:
        response = response_class(target.read_range(path, start, length), status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """One ``bytes=`` range as (start, length); "unsatisfiable"; None to send it all.

    Several ranges, or a malformed header, get the whole file (RFC 9110 allows that).
    """
    match = _RANGE.match(header.strip())
    if not match or (not match[1] and not match[2]):
        return None
    if not match[1]:  # the last N bytes
        suffix = int(match[2])
        if suffix == 0:
            return "unsatisfiable"
        start = max(size - suffix, 0)
        return start, size - start
    start = int(match[1])
    end = int(match[2]) if match[2] else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    end = min(end, size - 1)
    return start, end - start + 1


def _not_modified(request: HttpRequest, stat: Stat) -> bool:
    # META, not ``request.headers`` (which builds a dict of every header on first use).
    header = request.META.get("HTTP_IF_MODIFIED_SINCE", "")
    if not header:
        return False
    since = parse_http_date_safe(header)
    if since is None or stat.modified is None or request.META.get("HTTP_RANGE"):
        return False
    return int(stat.modified.timestamp()) <= since


def _presigned(target: Adapter, path: str, headers: dict[str, str]) -> HttpResponse | None:
    """Optional: send the client to a short-lived S3 URL instead of proxying the bytes."""
    if not getattr(settings, "BAAS_FILES_PRESIGNED_REDIRECT", False):
        return None
    expire = int(getattr(settings, "BAAS_FILES_PRESIGNED_EXPIRE", 60))
    parameters = {
        "ResponseContentType": headers["Content-Type"],
        "ResponseContentDisposition": headers["Content-Disposition"],
    }
    url = target.presigned_url(path, parameters, expire)
    if url is None:
        return None
    response = HttpResponse(status=302)
    response["Location"] = url
    response["Cache-Control"] = "no-store"
    return response
