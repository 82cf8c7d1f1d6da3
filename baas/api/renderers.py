"""Fast JSON on the wire (DESIGN §8: records are serialised with orjson, not ModelSerializer)."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import BaseRenderer

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, option=_OPTIONS)


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        return dumps(data)
