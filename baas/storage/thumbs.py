"""Thumbnails (wire-api §5): made once with Pillow, kept beside the original.

Forms: ``WxH`` center crop, ``WxHt`` top crop, ``WxHb`` bottom crop, ``WxHf`` fit
inside, ``0xH`` / ``Wx0`` keep the aspect ratio. Only ``100x100`` and the sizes listed
in the field's ``thumbs`` are made; anything else serves the original.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from baas.storage import names
from baas.storage.backends import Adapter

log = logging.getLogger("baas.storage")

DEFAULT_SIZE = "100x100"
SPEC = re.compile(r"^(\d{1,5})x(\d{1,5})([tbf])?$")
MAX_SIDE = 4096
MAX_SOURCE_PIXELS = 50_000_000  # bigger sources are served as they are
SPOOL_MEMORY = 8 * 1024 * 1024
CENTERING = {"t": (0.5, 0.0), "b": (0.5, 1.0), "": (0.5, 0.5)}
FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def parse(spec: str) -> tuple[int, int, str] | None:
    match = SPEC.match(spec)
    if not match:
        return None
    width, height, mode = int(match[1]), int(match[2]), match[3] or ""
    if (width == 0 and height == 0) or width > MAX_SIDE or height > MAX_SIDE:
        return None
    if (width == 0 or height == 0) and mode:
        return None
    return width, height, mode


def is_allowed(field: dict[str, Any], spec: str) -> bool:
    listed = spec == DEFAULT_SIZE or spec in (field.get("thumbs") or [])
    return listed and parse(spec) is not None


def resize(image: Image.Image, spec: str) -> Image.Image:
    parsed = parse(spec)
    assert parsed is not None
    width, height, mode = parsed
    if width == 0:
        width = max(1, round(image.width * height / image.height))
        return image.resize((width, height), Image.Resampling.LANCZOS)
    if height == 0:
        height = max(1, round(image.height * width / image.width))
        return image.resize((width, height), Image.Resampling.LANCZOS)
    if mode == "f":
        fitted = image.copy()
        fitted.thumbnail((width, height), Image.Resampling.LANCZOS)
        return fitted
    return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS, centering=CENTERING[mode])


def render(source: Any, spec: str, mime: str) -> bytes | None:
    """The thumb's bytes in the original's format, or None when it cannot be made."""
    try:
        with Image.open(source) as image:
            if image.width * image.height > MAX_SOURCE_PIXELS:
                return None
            image.seek(0)  # animated images: the first frame
            thumb = resize(image.convert("RGBA") if image.mode == "P" else image, spec)
            fmt = FORMATS[mime]
            if fmt == "JPEG" and thumb.mode not in ("RGB", "L"):
                thumb = thumb.convert("RGB")
            out = io.BytesIO()
            thumb.save(out, format=fmt)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError, KeyError):
        log.info("no thumb %s for an unreadable image", spec, exc_info=True)
        return None


def ensure_thumb(
    target: Adapter, collection_id: str, record_id: str, filename: str, spec: str, mime: str
) -> str | None:
    """The storage path of the thumb, made now if it does not exist yet."""
    path = names.thumb_path(collection_id, record_id, filename, spec)
    if target.stat(path) is not None:
        return path
    original = names.file_path(collection_id, record_id, filename)
    stat = target.stat(original)
    if stat is None:
        return None
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as source:
        for chunk in target.read_range(original, 0, stat.size):
            source.write(chunk)
        source.seek(0)
        data = render(source, spec, mime)
    if data is None:
        return None
    stored = target.save(path, ContentFile(data))
    if stored != path:  # another request made it first
        target.delete(stored)
    return path
