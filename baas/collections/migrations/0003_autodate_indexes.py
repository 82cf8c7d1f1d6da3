"""Autodate columns of existing runtime tables get their default index.

New tables get it from ``fields.autodate.AutodateColumn`` (``db_index``); this
creates it for every autodate column of every base/auth collection table made
before that change, under the name and definition the schema editor gives it, so
a later schema change that drops or remakes it by name finds it. Views have no table to index.
``IF NOT EXISTS`` makes it safe to run again.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def create_autodate_indexes(connection: Any, collections: Any) -> list[str]:
    """Create the missing autodate indexes; the index names this looked at."""
    from baas.collections import naming

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    # As ``ddl.schema_editor`` makes it: PostgreSQL's in the compiler's NULLS order.
    nulls = " NULLS FIRST" if connection.vendor == "postgresql" else ""
    # Not entered: only asked for the index name Django's ``db_index`` gives.
    editor = connection.SchemaEditorClass(connection)
    done = []
    for collection in collections:
        if collection.type not in ("base", "auth"):
            continue
        table = naming.table_name(collection.id)
        if table not in tables:
            continue
        for field in collection.fields:
            if field.get("type") != "autodate":
                continue
            column = naming.column_name(field)
            name = editor._create_index_name(table, [column])
            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)}"
                    f" ({quote(column)}{nulls})"
                )
            done.append(name)
    return done


def forwards(apps: Any, schema_editor: Any) -> None:
    Collection = apps.get_model("baas_collections", "Collection")
    create_autodate_indexes(schema_editor.connection, Collection.objects.all())


class Migration(migrations.Migration):
    dependencies = [("baas_collections", "0002_text_collation_c")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
