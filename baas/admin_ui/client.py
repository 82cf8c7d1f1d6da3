"""The console's way to the HTTP API: in-process requests through Django's handler.

Every console action is an API request (wire-api §1-§7) carrying the signed-in
superuser's token, so it passes the same middleware, rules and validation as an
SDK call, and shows in the request logs. ``BaseHandler.get_response`` is used
rather than the WSGI handler so the outer request's database connection is not
closed by ``request_started``/``request_finished`` (Django's test client does the same).
"""

from __future__ import annotations

import io
import threading
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from django.core.files.uploadedfile import UploadedFile
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest

_handler: BaseHandler | None = None
_handler_lock = threading.Lock()


def _get_handler() -> BaseHandler:
    global _handler
    with _handler_lock:
        if _handler is None:
            handler = BaseHandler()
            handler.load_middleware()
            _handler = handler
    return _handler


@dataclass
class ApiResult:
    status: int
    data: Any

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def message(self) -> str:
        return self.data.get("message", "") if isinstance(self.data, dict) else ""

    @property
    def errors(self) -> dict[str, Any]:
        if self.ok or not isinstance(self.data, dict):
            return {}
        return self.data.get("data") or {}


def _multipart(fields: dict[str, Any], files: dict[str, list[UploadedFile]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(str(value).encode() + b"\r\n")
    for name, uploads in files.items():
        for upload in uploads:
            filename = (upload.name or "file").replace('"', "")
            content_type = upload.content_type or "application/octet-stream"
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            )
            upload.seek(0)
            for chunk in upload.chunks():
                out.write(chunk)
            out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class ConsoleApi:
    def __init__(self, outer: HttpRequest, token: str | None):
        self.outer = outer
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        query: dict[str, Any] | None = None,
        files: dict[str, list[UploadedFile]] | None = None,
    ) -> ApiResult:
        body, content_type = b"", ""
        if files:
            body, content_type = _multipart(
                {"@jsonPayload": orjson.dumps(json or {}).decode()}, files
            )
        elif json is not None:
            body, content_type = orjson.dumps(json), "application/json"
        environ = self._environ(method, path, query, body, content_type)
        response = _get_handler().get_response(WSGIRequest(environ))
        content = getattr(response, "content", b"")
        try:
            data = orjson.loads(content) if content else None
        except orjson.JSONDecodeError:
            data = None
        return ApiResult(response.status_code, data)

    def _environ(
        self, method: str, path: str, query: dict[str, Any] | None, body: bytes, content_type: str
    ) -> dict[str, Any]:
        meta = self.outer.META
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": urlencode(
                {k: v for k, v in (query or {}).items() if v not in (None, "")}, doseq=True
            ),
            "SERVER_NAME": meta.get("SERVER_NAME", "localhost"),
            "SERVER_PORT": meta.get("SERVER_PORT", "80"),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": meta.get("REMOTE_ADDR", "127.0.0.1"),
            "HTTP_HOST": self.outer.get_host(),
            "HTTP_USER_AGENT": meta.get("HTTP_USER_AGENT", "") + " baas-console",
            "HTTP_REFERER": self.outer.build_absolute_uri(),
            "wsgi.url_scheme": self.outer.scheme or "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
        }
        if content_type:
            environ["CONTENT_TYPE"] = content_type
        if self.token:
            environ["HTTP_AUTHORIZATION"] = self.token
        return environ

    def get(self, path: str, **query: Any) -> ApiResult:
        return self.request("GET", path, query=query)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> ApiResult:
        return self.request("POST", path, json=json if json is not None else {}, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> ApiResult:
        return self.request("PATCH", path, json=json if json is not None else {}, **kwargs)

    def delete(self, path: str) -> ApiResult:
        return self.request("DELETE", path)
