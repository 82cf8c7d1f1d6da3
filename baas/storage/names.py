"""Stored filenames and storage paths (wire-api §5).

A stored name is ``<snake_case base>_<10 random [a-z0-9]><ext>``: it never holds a
path separator, so ``<collectionId>/<recordId>/<filename>`` cannot leave its folder.
The rules follow the peer's source (``filesystem.normalizeName``) and were checked on
the 0.40.6 binary: Go's ``\\w`` and ``\\W`` are ASCII-only, so ``café`` becomes ``caf``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
MAX_ORIGINAL = 300
MAX_BASE = 100
MIN_BASE = 3
MAX_EXTENSION = 20
THUMBS_PREFIX = "thumbs_"

_EXT_INVALID = re.compile(r"[^\w.*\-+=#]+", re.ASCII)
_WORD_SPLIT = re.compile(r"[\W_]+", re.ASCII)
# What a stored name may look like: no separators, no leading dot.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][\w.*\-+=#]*", re.ASCII)
# Collection and record ids as folder names (naming.ID_PATTERN plus the id field's default).
_SAFE_ID = re.compile(r"[A-Za-z0-9_\-]+", re.ASCII)


def random_part(length: int = 10) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def extract_extension(name: str) -> str:
    """The extension with its dot, over the last two dots (``a.tar.gz`` → ``.tar.gz``)."""
    primary = name.rfind(".")
    if primary == -1:
        return ""
    secondary = name.rfind(".", 0, primary)
    return name[secondary:] if secondary >= 0 else name[primary:]


def snakecase(text: str) -> str:
    """Split on non-word characters and ``_``, separate camelCase, lower-case."""
    words = []
    for word in _WORD_SPLIT.split(text):
        if not word:
            continue
        chars = []
        for index, char in enumerate(word):
            if char.isupper() and index > 0 and not word[index - 1].isupper():
                chars.append("_")
            chars.append(char)
        words.append("".join(chars))
    return "_".join(words).lower()


def normalize_name(original: str, detect_extension: Callable[[], str]) -> str:
    """The stored name for an upload called ``original``.

    ``detect_extension`` is asked only when the name has no usable extension; it
    returns one from the sniffed content type (``.txt`` for text), or ``""``.
    """
    # The multipart layer already drops directories (Django's parser, Go's FileHeader);
    # names from elsewhere get the same treatment.
    name = original.replace("\\", "/").rsplit("/", 1)[-1][-MAX_ORIGINAL:]
    extension = extract_extension(name)
    clean_extension = _EXT_INVALID.sub("", extension) or detect_extension()
    if len(clean_extension) > MAX_EXTENSION:
        clean_extension = "." + clean_extension[-MAX_EXTENSION:]  # as the peer: dot + last 20
    base = snakecase(name[: len(name) - len(extension)])
    if len(base) < MIN_BASE:
        base += random_part()
    elif len(base) > MAX_BASE:
        base = base[:MAX_BASE]
    return f"{base}_{random_part()}{clean_extension}"


def is_safe_name(name: str) -> bool:
    return bool(_SAFE_NAME.fullmatch(name)) and name not in (".", "..")


def is_safe_id(value: str) -> bool:
    return bool(_SAFE_ID.fullmatch(value))


def record_dir(collection_id: str, record_id: str) -> str:
    return f"{collection_id}/{record_id}"


def file_path(collection_id: str, record_id: str, filename: str) -> str:
    return f"{collection_id}/{record_id}/{filename}"


def thumbs_dir(collection_id: str, record_id: str, filename: str) -> str:
    return f"{collection_id}/{record_id}/{THUMBS_PREFIX}{filename}"


def thumb_path(collection_id: str, record_id: str, filename: str, size: str) -> str:
    return f"{thumbs_dir(collection_id, record_id, filename)}/{size}_{filename}"
