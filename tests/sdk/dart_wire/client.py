"""The requests the Dart SDK's ``PocketBase.send`` puts on the wire, and how it reads answers.

Written from reading ``lib/src/client.dart`` and ``lib/src/multipart_request.dart`` of
``pocketbase`` 0.25.0 and the ``http`` package's ``IOClient`` (dart:io): every header name
in lower case, ``user-agent: Dart/<version> (dart:io)``, ``accept-encoding: gzip``, an
explicit ``content-length`` (``0`` for a GET), ``content-type: application/json`` on
every non-multipart request, the raw token in ``authorization`` (no ``Bearer``), and
``accept-language`` always. ``http.client`` is used so that nothing else is added.
"""

from __future__ import annotations

import gzip
import http.client
import json
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

USER_AGENT = "Dart/3.5 (dart:io)"
BOUNDARY_PREFIX = "dart-http-boundary-"
BOUNDARY_LENGTH = 70
# package:http's boundaryCharacters: + _ - . digits A-Z a-z
BOUNDARY_CHARACTERS = "+_-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def dart_json(value: Any) -> str:
    """``jsonEncode``: compact, non-ASCII left as is, ``null`` kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def dart_to_string(value: Any) -> str:
    """``Object.toString()`` of the values the SDK puts in a query."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def query_component(text: str) -> str:
    """``Uri.encodeQueryComponent``: only ``A-Za-z0-9-._~`` kept, a space is ``+``."""
    return quote_plus(text, safe="")


def path_component(text: str) -> str:
    """``Uri.encodeComponent``: ``A-Za-z0-9-_.!~*'()`` kept, everything else %XX."""
    return quote(text, safe="!~*'()")


def normalize_query(query: dict[str, Any]) -> list[tuple[str, str]]:
    """``_normalizeQueryParameters``: lists repeat the key, ``null`` values are left out."""
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        items = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((key, dart_to_string(v)) for v in items if v is not None)
    return pairs


def build_url(base_url: str, path: str, query: dict[str, Any] | None = None) -> str:
    """``PocketBase.buildURL``."""
    url = base_url + ("" if base_url.endswith("/") else "/")
    if path:
        url += path[1:] if path.startswith("/") else path
    pairs = normalize_query(query or {})
    if pairs:
        url += "?" + "&".join(f"{query_component(k)}={query_component(v)}" for k, v in pairs)
    return url


def dart_filter(expr: str, params: dict[str, Any]) -> str:
    """``PocketBase.filter``: placeholders ``{:name}`` replaced by escaped literals."""
    for key, value in params.items():
        if value is None or isinstance(value, (bool, int, float)):
            text = "null" if value is None else dart_to_string(value)
        elif isinstance(value, str):
            text = dart_json(value)
        else:  # DateTime values are passed here already as "YYYY-MM-DD HH:MM:SS.mmmZ" text
            encoded = dart_json(value)
            text = dart_json(encoded) if encoded[:1] in "[{" else encoded
        expr = expr.replace("{:" + key + "}", text)
    return expr


@dataclass
class MultipartFile:
    """``http.MultipartFile``: the content type defaults to ``application/octet-stream``."""

    field: str
    content: bytes
    filename: str | None = None
    content_type: str = "application/octet-stream"


def _browser_encode(text: str) -> str:
    return (
        text.replace("\r\n", "%0D%0A")
        .replace("\r", "%0D%0A")
        .replace("\n", "%0D%0A")
        .replace('"', "%22")
    )


def new_boundary(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    size = BOUNDARY_LENGTH - len(BOUNDARY_PREFIX)
    tail = "".join(rng.choice(BOUNDARY_CHARACTERS) for _ in range(size - 4))
    # the characters most likely to trip a parser, always present
    return BOUNDARY_PREFIX + "+._-" + tail


def multipart_body(
    fields: dict[str, list[str]], files: list[MultipartFile], boundary: str
) -> bytes:
    """``MultipartRequest._finalize``: fields first, then files, CRLF everywhere."""
    out = bytearray()
    for name, values in fields.items():
        for value in values:
            out += f"--{boundary}\r\n".encode()
            header = f'content-disposition: form-data; name="{_browser_encode(name)}"'
            if not value.isascii():
                header += (
                    "\r\ncontent-type: text/plain; charset=utf-8"
                    "\r\ncontent-transfer-encoding: binary"
                )
            out += (header + "\r\n\r\n").encode()
            out += value.encode() + b"\r\n"
    for file in files:
        out += f"--{boundary}\r\n".encode()
        header = (
            f"content-type: {file.content_type}\r\n"
            f'content-disposition: form-data; name="{_browser_encode(file.field)}"'
        )
        if file.filename is not None:
            header += f'; filename="{_browser_encode(file.filename)}"'
        out += (header + "\r\n\r\n").encode()  # non-ASCII filenames go out as raw UTF-8
        out += file.content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


class ClientException(Exception):
    """``ClientException``: ``response`` is the decoded body when it is a JSON object, else {}."""

    def __init__(self, url: str, status: int, response: dict[str, Any]):
        super().__init__(f"{status} {url}: {response}")
        self.url = url
        self.status = status
        self.response = response


@dataclass
class Sent:
    """What went on the wire, for assertions about the request itself."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes


@dataclass
class DartClient:
    """``PocketBase(baseURL, lang)`` with an in-memory ``AuthStore``."""

    base_url: str
    lang: str = "en-US"
    token: str = ""
    record: dict[str, Any] | None = None
    boundary_rng: random.Random = field(default_factory=lambda: random.Random(7))
    sent: list[Sent] = field(default_factory=list)
    connection: http.client.HTTPConnection | None = None  # set: reuseHTTPClient

    # ---- AuthStore --------------------------------------------------------------------

    def save(self, token: str, record: dict[str, Any] | None) -> None:
        self.token, self.record = token, record

    def clear(self) -> None:
        self.token, self.record = "", None

    @property
    def is_valid(self) -> bool:
        from tests.sdk.dart_wire.models import token_is_valid

        return token_is_valid(self.token)

    # ---- send -------------------------------------------------------------------------

    def build_url(self, path: str, query: dict[str, Any] | None = None) -> str:
        return build_url(self.base_url, path, query)

    def send(
        self,
        path: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        files: list[MultipartFile] | None = None,
    ) -> Any:
        url = build_url(self.base_url, path, query)
        answer = self.raw(method, url, headers or {}, body or {}, files or [])
        text = answer.raw.decode()
        data: Any
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = text  # a non-JSON answer is handed back as the string
        if answer.status >= 400:
            raise ClientException(url, answer.status, data if isinstance(data, dict) else {})
        return data

    def raw(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: dict[str, Any],
        files: list[MultipartFile],
    ) -> Answer:
        if files:
            boundary = new_boundary(self.boundary_rng)
            payload = multipart_body({"@jsonPayload": [dart_json(body)]}, files, boundary)
            request_headers = {k.lower(): v for k, v in headers.items()}
            request_headers["content-type"] = f"multipart/form-data; boundary={boundary}"
        else:
            payload = dart_json(body).encode() if body else b""
            request_headers = {k.lower(): v for k, v in headers.items()}
            request_headers.setdefault("content-type", "application/json")
        if "authorization" not in request_headers and self.is_valid:
            request_headers["authorization"] = self.token
        request_headers.setdefault("accept-language", self.lang)
        return http_request(
            method, url, request_headers, payload, self.sent, shared=self.connection
        )


def http_request(
    method: str,
    url: str,
    headers: dict[str, str],
    payload: bytes,
    log: list[Sent] | None = None,
    timeout: float = 60,
    shared: http.client.HTTPConnection | None = None,
) -> Answer:
    """One dart:io request: its own headers first, then the request's, all lower case.

    ``shared``: a kept-alive connection (``PocketBase(reuseHTTPClient: true)``), left open.
    """
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    wire = [
        ("user-agent", USER_AGENT),
        ("accept-encoding", "gzip"),
        ("content-length", str(len(payload))),
        ("host", parts.netloc),
        *headers.items(),
    ]
    connection = shared or http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in wire:
            connection.putheader(name, value.encode())
        connection.endheaders(payload)
        response = connection.getresponse()
        raw = response.read()
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        if shared is None:
            connection.close()
    if answer_headers.get("content-encoding") == "gzip":  # dart:io decompresses by itself
        raw = gzip.decompress(raw)
    if log is not None:
        log.append(Sent(method, target, wire, payload))
    return Answer(response.status, answer_headers, raw)
