"""Reading and changing the application settings (wire-api §7.3).

``current()`` is what other parts read (mail, storage, batch, rate limits, logs). It
is cached per process for a few seconds, so a change reaches every worker within
``CACHE_SECONDS`` without a query on every request.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from django.db import transaction

from baas.settings_api.defaults import SECRETS, defaults
from baas.settings_api.models import SINGLETON_ID, AppSettings
from baas.settings_api.validation import check_settings, load_patch

CACHE_SECONDS = 2.0
_cache: tuple[float, dict[str, Any]] | None = None


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _merge(base.get(key), value) if key in base else value
        return out
    return copy.deepcopy(patch)


def _stored() -> dict[str, Any]:
    row = AppSettings.objects.filter(id=SINGLETON_ID).first()
    return row.data if row else {}


def current() -> dict[str, Any]:
    """Every setting, secrets included (never send this to a client; see ``public``).

    The returned dict is shared by the process: read it, never change it.
    """
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, _merge(defaults(), _stored()))
    return _cache[1]


def forget() -> None:
    """Drop the process cache (after a change, and between tests)."""
    global _cache
    _cache = None


def public(values: dict[str, Any]) -> dict[str, Any]:
    """The settings as ``GET /api/settings`` shows them: write-only secrets left out."""
    out = copy.deepcopy(values)
    for path in SECRETS:
        node = out
        for key in path[:-1]:
            node = node.get(key, {})
        node.pop(path[-1], None)
    return out


def update(patch: Any) -> dict[str, Any]:
    """Merge a partial document into the stored settings; 400 with field errors if invalid."""
    loaded = load_patch(patch, defaults())
    with transaction.atomic():
        row, _ = AppSettings.objects.select_for_update().get_or_create(id=SINGLETON_ID)
        merged = _merge(_merge(defaults(), row.data), loaded)
        check_settings(merged)
        row.data = merged
        row.save()
    forget()
    return merged
