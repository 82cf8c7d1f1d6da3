"""Server-side hooks: Python files in the hooks directory (docs/hooks.md).

A hooks file imports its whole API from here::

    from baas.hooks import HookContext, HookError, job, on, route

(The names load on first use: Django imports this package before models are ready.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from baas.hooks.api import HookContext, HookError, job, on, route

__all__ = ["HookContext", "HookError", "job", "on", "route"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from baas.hooks import api

        return getattr(api, name)
    raise AttributeError(f"module 'baas.hooks' has no attribute {name!r}")
