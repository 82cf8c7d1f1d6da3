"""The decorators hook files use, and the error a handler raises to refuse a request."""

from __future__ import annotations

import threading
from collections.abc import Callable

from baas.api.errors import BadRequest
from baas.hooks.context import HookContext
from baas.hooks.registry import EVENTS, METHODS, Func, Handler, Registry, Route, route_pattern

__all__ = ["HookContext", "HookError", "job", "on", "route"]

# Handlers registered outside a hooks file (from Python code) stay for the process.
PERMANENT = Registry()
_loading = threading.local()


class HookError(BadRequest):
    """Refuse the request: ``HookError("message", {"field": field_error(...)}, status=403)``
    answers the contract's error envelope with that status (default 400)."""


def _target() -> Registry:
    return getattr(_loading, "registry", None) or PERMANENT


def _source(func: Func) -> str:
    module = getattr(func, "__module__", "") or ""
    return f"{module.removeprefix('baas_hooks.')}.py:{getattr(func, '__name__', '?')}"


def on(event: str, collection: str | None = None) -> Callable[[Func], Func]:
    """``@on("records.before_create", collection="posts")``: call ``func(ctx)`` on the event."""
    if event not in EVENTS:
        raise ValueError(f"unknown hook event {event!r}; expected one of {', '.join(EVENTS)}")

    def register(func: Func) -> Func:
        _target().handlers.append(Handler(event, collection, func, _source(func)))
        return func

    return register


def route(method: str, path: str) -> Callable[[Func], Func]:
    """``@route("GET", "/hello/{name}")``: serve ``/api/hooks/hello/{name}`` with ``func(ctx)``."""
    verb = method.upper()
    if verb not in METHODS:
        raise ValueError(f"unsupported method {method!r}; expected one of {', '.join(METHODS)}")

    def register(func: Func) -> Func:
        _target().routes.append(Route(verb, path, route_pattern(path), func, _source(func)))
        return func

    return register


def job(name: str) -> Callable[[Func], Func]:
    """``@job("nightly_report")``: a function scheduled jobs (kind ``hook``) and
    ``ctx.enqueue`` can call as ``func(ctx)``, with ``ctx.payload``."""

    def register(func: Func) -> Func:
        _target().jobs[name] = (func, _source(func))
        return func

    return register


def loading_into(registry: Registry | None) -> None:
    _loading.registry = registry
