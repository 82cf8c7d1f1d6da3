"""What a write does to one file field (wire-api §2.5), before anything is stored.

Order, as on the peer: the plain key first (names to keep + uploads: a replace), then
``+field`` (prepend), ``field+`` (append), ``field-`` (remove stored names). A single
file field keeps the last file. Names sent as text may only keep files the record
already has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from baas.api.errors import field_error
from baas.collections.fields.file import DEFAULT_MAX_SIZE
from baas.collections.fields.multi import as_list
from baas.collections.records.payload import Submission
from baas.storage import names, sniff

FieldError = dict[str, Any]


@dataclass
class Upload:
    file: UploadedFile
    name: str  # the stored filename
    mime: str  # sniffed from the content


@dataclass
class FieldPlan:
    value: list[str]
    uploads: list[Upload] = field(default_factory=list)  # the ones the final value keeps
    removed: list[str] = field(default_factory=list)  # stored names no longer referenced


def is_touched(field_def: dict[str, Any], submission: Submission) -> bool:
    name = field_def["name"]
    if name in submission.values or any(n == name for n, _, _ in submission.modifiers):
        return True
    return any(key in submission.files for key in (name, f"{name}+", f"+{name}"))


def max_select(field_def: dict[str, Any]) -> int:
    return max(int(field_def.get("maxSelect") or 0), 1)


def plan_field(
    field_def: dict[str, Any], submission: Submission, current_value: Any
) -> tuple[FieldPlan | None, FieldError | None]:
    name = field_def["name"]
    current = as_list(current_value)
    by_upload: dict[str, Upload] = {}
    invalid: list[str] = []

    def uploads(key: str) -> list[str]:
        added = []
        for file in submission.files.get(key, []):
            upload = _upload(file)
            by_upload[upload.name] = upload
            added.append(upload.name)
        return added

    def kept(values: Any) -> list[str]:
        listed = names_in(values)
        invalid.extend(item for item in listed if item not in current and item not in invalid)
        return [item for item in listed if item in current]

    value = list(current)
    if name in submission.values or name in submission.files:
        value = _merge([], kept(submission.values.get(name)) + uploads(name))
    prepend = kept([v for n, op, v in submission.modifiers if n == name and op == "^"])
    value = _merge(prepend + uploads(f"+{name}"), value)
    append = kept([v for n, op, v in submission.modifiers if n == name and op == "+"])
    value = _merge(value, append + uploads(f"{name}+"))
    for n, op, removed in submission.modifiers:
        if n == name and op == "-":
            gone = set(names_in(removed))
            value = [item for item in value if item not in gone]
    if invalid:
        return None, field_error(
            "validation_invalid_file",
            f"Invalid new files: [{' '.join(invalid)}].",
            {"invalidFiles": invalid},
        )
    limit = max_select(field_def)
    if limit == 1:
        value = value[-1:]  # a single file field keeps the last one, as on the peer
    elif len(value) > limit:
        return None, field_error(
            "validation_too_many_files",
            f"The maximum allowed files is {limit}.",
            {"maxSelect": limit},
        )
    plan = FieldPlan(
        value=value,
        uploads=[by_upload[item] for item in value if item in by_upload],
        removed=[item for item in current if item not in value],
    )
    return plan, check_uploads(field_def, plan.uploads)


def names_in(value: Any) -> list[str]:
    """Stored names given as text; uploads are skipped (DRF's ``request.data`` repeats them)."""
    items = value if isinstance(value, list | tuple) else [value]
    return as_list([item for item in items if not isinstance(item, UploadedFile)])


def _merge(first: list[str], second: list[str]) -> list[str]:
    out: list[str] = []
    for item in first + second:
        if item not in out:
            out.append(item)
    return out


def _upload(file: UploadedFile) -> Upload:
    mime = sniff.sniff_file(file.file)  # type: ignore[arg-type]
    stored = names.normalize_name(file.name or "", lambda: sniff.extension_for(mime))
    return Upload(file=file, name=stored, mime=mime)


def check_uploads(field_def: dict[str, Any], uploads: list[Upload]) -> FieldError | None:
    """``maxSize`` and ``mimeTypes`` (against the sniffed type; wire-api §1.2)."""
    max_size = int(field_def.get("maxSize") or 0) or DEFAULT_MAX_SIZE
    allowed = [str(item) for item in field_def.get("mimeTypes") or []]
    for upload in uploads:
        if (upload.file.size or 0) > max_size:
            original = upload.file.name or ""
            return field_error(
                "validation_file_size_limit",
                f"Failed to upload {original} - the maximum allowed file size is {max_size} bytes.",
                {"file": original, "maxSize": max_size},
            )
        if allowed and not sniff.is_allowed(upload.mime, allowed):
            return field_error(
                "validation_invalid_mime_type",
                f'"{upload.name}" mime type must be one of: {", ".join(allowed)}.',
            )
    return None
