"""Calling handlers: an ``ApiError`` (``HookError``) is the caller's answer; anything
else a handler raises is logged with its traceback and answered as the envelope's 500
(``HookFailed``), never Django's error page."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from baas.api.errors import ApiError
from baas.hooks.context import HookContext
from baas.hooks.loader import registry
from baas.hooks.registry import Func

log = logging.getLogger("baas.hooks")

# A handler's own writes run hooks again; past this depth it is a loop.
MAX_DEPTH = 8
_depth: ContextVar[int] = ContextVar("baas_hooks_depth", default=0)


class HookFailed(ApiError):
    status = 500

    def __init__(self) -> None:
        super().__init__("A server hook failed while processing the request.")


def call(func: Func, source: str, ctx: HookContext) -> Any:
    depth = _depth.get()
    if depth >= MAX_DEPTH:
        log.error("hook %s (%s) not run: hooks nested %d deep (a loop?)", source, ctx.event, depth)
        raise HookFailed()
    token = _depth.set(depth + 1)
    try:
        return func(ctx)
    except ApiError:
        raise
    except Exception:
        log.exception("hook %s failed on %s", source, ctx.event)
        raise HookFailed() from None
    finally:
        _depth.reset(token)


def run(ctx: HookContext) -> None:
    """Every handler of ``ctx.event`` (for ``ctx.collection``), in registration order."""
    for handler in registry().handlers_for(ctx.event, ctx.collection):
        call(handler.func, handler.source, ctx)


def has_handlers(event: str, collection: Any = None) -> bool:
    return bool(registry().handlers_for(event, collection))
