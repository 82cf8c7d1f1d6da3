"""Record hooks: before-hooks as a write step (``records.steps``), after-hooks on
``record_changed`` (after commit), so both see every write the record service makes."""

from __future__ import annotations

import logging
from typing import Any

from baas.api.errors import ApiError
from baas.collections.fields import get_field_type
from baas.collections.models import Collection
from baas.collections.records.payload import Submission
from baas.hooks import dispatch
from baas.hooks.context import HookContext

log = logging.getLogger("baas.hooks")

# Field types whose values the record service sets itself; a hook's change is not validated.
UNCHECKED = {"autodate", "password", "file"}


class HookStep:
    """``records.before_create`` / ``before_update`` run before validation, so what a
    handler changes is validated like submitted data; ``before_delete`` runs inside
    the delete's transaction (for cascaded records too), so raising undoes it all."""

    def prepare(
        self,
        collection: Collection,
        submission: Submission,
        row: dict[str, Any],
        existing: dict[str, Any] | None,
        errors: dict[str, Any],
    ) -> None:
        event = "records.before_create" if existing is None else "records.before_update"
        if not dispatch.has_handlers(event, collection):
            return
        before = dict(row)
        original = dict(existing) if existing is not None else None
        ctx = HookContext.for_request(event, collection=collection, record=row, original=original)
        dispatch.run(ctx)
        changed = [name for name in row if row.get(name) != before.get(name)]
        _validate_changes(collection, row, changed, errors)

    def prepares_inside(self, collection: Collection, submission: Submission) -> bool:
        """A handler may do anything (``records.steps``): not inside a write transaction."""
        return not dispatch.has_handlers("records.before_update", collection)

    def written(
        self, collection: Collection, row: dict[str, Any], existing: dict[str, Any] | None
    ) -> None:
        pass

    def failed(
        self, collection: Collection, row: dict[str, Any], existing: dict[str, Any] | None
    ) -> None:
        pass

    def deleted(self, collection: Collection, row: dict[str, Any]) -> None:
        if dispatch.has_handlers("records.before_delete", collection):
            ctx = HookContext.for_request(
                "records.before_delete", collection=collection, record=dict(row), original=row
            )
            dispatch.run(ctx)

    def abandoned(self) -> None:
        pass


def _validate_changes(
    collection: Collection, row: dict[str, Any], changed: list[str], errors: dict[str, Any]
) -> None:
    for name in changed:
        field = collection.field(name)
        if field is None or field["type"] in UNCHECKED or name in errors:
            continue
        field_type = get_field_type(field["type"])
        error = field_type.validate(field, row.get(name)) if field_type else None
        if error:
            errors[name] = error


def on_record_changed(
    sender: Any, collection: Collection, action: str, record: dict[str, Any], **kwargs: Any
) -> None:
    """``records.after_*``: the write is committed; a failing handler is logged only."""
    event = f"records.after_{action}"
    if not dispatch.has_handlers(event, collection):
        return
    ctx = HookContext.for_request(event, collection=collection, record=dict(record))
    try:
        dispatch.run(ctx)
    except ApiError as exc:  # HookFailed was logged with its traceback already
        if not isinstance(exc, dispatch.HookFailed):
            log.warning("after-hook on %s refused (already committed): %s", event, exc.message)
