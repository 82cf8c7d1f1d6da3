"""Turning a request body into field values, modifiers and files (wire-api §2.5, §2.6)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.core.files.uploadedfile import UploadedFile

from baas.api.errors import BadRequest

_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")


@dataclass
class Submission:
    values: dict[str, Any] = field(default_factory=dict)
    modifiers: list[tuple[str, str, Any]] = field(
        default_factory=list
    )  # (name, op, value); op in + ^ -
    files: dict[str, list[UploadedFile]] = field(
        default_factory=dict
    )  # key as sent: "docs", "docs+", "+docs"

    def keys(self) -> set[str]:
        return set(self.values) | {name for name, _, _ in self.modifiers}


def _infer(value: str) -> Any:
    """Multipart values: "true"/"false" → bool, canonical numbers → numbers, else text."""
    if value in ("true", "false"):
        return value == "true"
    if _NUMBER.match(value):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    return value


def from_request(data: Any, files: Any = None) -> Submission:
    """``data`` is DRF's request.data (a dict for JSON, a QueryDict for forms)."""
    flat: dict[str, Any] = {}
    if hasattr(data, "getlist"):
        for key in data:
            items = data.getlist(key)
            if key == "@jsonPayload":
                for item in items:
                    try:
                        payload = orjson.loads(item)
                    except orjson.JSONDecodeError:
                        raise BadRequest() from None
                    if isinstance(payload, dict):
                        flat.update(payload)
                continue
            inferred = [_infer(i) if isinstance(i, str) else i for i in items]
            flat[key] = inferred[0] if len(inferred) == 1 else inferred
    elif isinstance(data, dict):
        flat = dict(data)
    elif data not in (None, ""):
        raise BadRequest()
    submission = Submission()
    for key, value in flat.items():
        if not isinstance(key, str):
            continue
        _add(submission, key, value)
    if files is not None:
        for key in files:
            submission.files[key] = list(files.getlist(key))
    return submission


def _add(submission: Submission, key: str, value: Any) -> None:
    if key.endswith("+") and len(key) > 1:
        submission.modifiers.append((key[:-1], "+", value))
    elif key.startswith("+") and len(key) > 1:
        submission.modifiers.append((key[1:], "^", value))
    elif key.endswith("-") and len(key) > 1:
        submission.modifiers.append((key[:-1], "-", value))
    else:
        submission.values[key] = value
