"""One log entry per API request (wire-api §7.4), shaped like the peer's.

``data`` holds ``type, method, url, status, execTime (ms), auth, remoteIP, userIP,
referer, userAgent`` and, for failures, ``error`` (the envelope's message).
The ``logs`` settings decide what is kept: ``maxDays:0`` turns logging off,
``minLevel`` drops lower levels, ``logIP``/``logAuthId`` add those details.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse

from baas.api.client import forwarded_ip
from baas.logs import writer
from baas.logs.models import ERROR, INFO

log = logging.getLogger("baas.logs")


def _error_message(response: HttpResponse) -> str:
    if not response.get("Content-Type", "").startswith("application/json"):
        return ""
    try:
        body = orjson.loads(response.content)
    except (orjson.JSONDecodeError, AttributeError, ValueError):
        return ""
    return str(body.get("message", "")) if isinstance(body, dict) else ""


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        try:
            self._record(request, response, (time.perf_counter() - started) * 1000)
        except Exception:  # logging must never break a request
            log.exception("request log failed")
        return response

    def _record(self, request: HttpRequest, response: HttpResponse, elapsed_ms: float) -> None:
        from baas.settings_api.service import current

        settings = current()
        options = settings["logs"]
        level = ERROR if response.status_code >= 400 else INFO
        if options["maxDays"] <= 0 or level < options["minLevel"]:
            return
        auth = getattr(request, "baas_auth", None)
        collection = getattr(auth, "collection", None)
        data: dict[str, Any] = {
            "type": "request",
            "method": request.method,
            "url": request.get_full_path(),
            "status": response.status_code,
            "execTime": round(elapsed_ms, 6),
            "auth": collection.name if collection is not None else "",
            # request.headers' values, read without building that mapping
            "referer": request.META.get("HTTP_REFERER", ""),
            "userAgent": request.META.get("HTTP_USER_AGENT", ""),
        }
        if options["logIP"]:
            data["remoteIP"] = request.META.get("REMOTE_ADDR", "")
            data["userIP"] = forwarded_ip(
                settings["trustedProxy"], lambda name: request.headers.get(name), data["remoteIP"]
            )
        if options["logAuthId"] and collection is not None:
            data["authId"] = auth.id  # type: ignore[union-attr]
        if level == ERROR and not getattr(response, "streaming", False):
            data["error"] = _error_message(response)
        writer.add(level, f"{request.method} {request.path}", data)
