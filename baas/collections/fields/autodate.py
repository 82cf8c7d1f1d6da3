from __future__ import annotations

from typing import Any

from django.db import models

from baas.collections.fields.base import FieldType, ModelContext


class AutodateColumn(models.TextField):
    """An autodate column: text, indexed by default.

    Lists sort by ``created``/``updated`` far more than by anything else, so the
    column carries a plain index (physical only: the collection's ``indexes`` list
    stays what the user set). The schema editor creates it with the column, keeps it
    when SQLite remakes the table and drops it with the column. On PostgreSQL
    ``ddl.schema_editor`` makes it ``(column NULLS FIRST)``, the order the compiler's
    sorts ask for, without the ``text_pattern_ops`` twin Django adds for ``LIKE``.
    Its own class, so a change of a field's type to or from autodate remakes the
    column (``conversion.same_storage``) and the index follows.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)


class AutodateField(FieldType):
    """Set by the server on create and/or update; client input is ignored."""

    type = "autodate"
    defaults = {"onCreate": True, "onUpdate": False}
    has_required = False

    def model_field(self, field: dict[str, Any], ctx: ModelContext) -> models.Field:
        return AutodateColumn(default="")
