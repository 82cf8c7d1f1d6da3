"""Field values as typed operands, per field type and storage layout.

Storage (see the schema service): text-like fields and single select/file are TEXT
NOT NULL; number is double precision; bool is boolean; multi select/file, json and
geoPoint are JSON; a single relation is a nullable id column; a multi relation has no
column and keeps its ordered ids in a join table. The binary stores a multi value as
JSON text in the row, so a bare multi field compares as that text (wire-api §3.2 trap).
"""

from __future__ import annotations

from typing import Any

from ..models import Collection
from . import fields as F
from .joins import JoinSpec, Track
from .render import ascii_lower, text_of
from .sql import Frag, col, fmt, param, qn
from .values import NF, Aff, Cls, Dialect, NumFmt, Value

TEXT_TYPES = frozenset({"text", "email", "url", "editor", "password", "date", "autodate"})


def row_guard(alias: str, at_base: bool, frag: Frag) -> Frag:
    """NULL when the joined row is missing (the binary's LEFT JOIN gives NULL columns)."""
    if at_base:
        return frag
    return fmt("(CASE WHEN {} IS NULL THEN NULL ELSE {} END)", col(alias, "id"), frag)


def column_value(
    d: Dialect, collection: Collection, field: dict[str, Any], alias: str, at_base: bool
) -> Value:
    """The bare field, as the binary's column would compare."""
    ftype = field.get("type")
    if F.is_primary_id(field):
        return Value(col(alias, "id"), Cls.TEXT, Aff.TEXT)
    c = col(alias, F.column(field))
    if ftype == "number":
        return Value(c, Cls.NUM, Aff.NUM, NumFmt.COLUMN)
    if ftype == "bool":
        return Value(fmt("CAST({} AS integer)", c) if d.pg else c, Cls.NUM, Aff.NUM, NumFmt.INT)
    if ftype == "json":
        frag = (
            fmt("NULLIF({}, CAST('null' AS jsonb))", c) if d.pg else fmt("json_extract({}, '$')", c)
        )
        return Value(frag, Cls.DYN, nf=NF.DISABLED)
    if ftype == "geoPoint":
        return Value(_geo_text(d, c), Cls.TEXT, Aff.NUM)
    if ftype == "relation" and F.is_multiple(field):
        return Value(
            row_guard(alias, at_base, _relation_json(d, collection, field, alias)),
            Cls.TEXT,
            Aff.NUM,
        )
    if F.is_multiple(field):  # multi select / file
        frag = (
            fmt("replace(CAST({} AS text), {}, {})", c, param('", "'), param('","'))
            if d.pg
            else fmt("json({})", c)
        )
        return Value(frag, Cls.TEXT, Aff.NUM)
    if ftype == "relation":  # nullable id column; the binary stores '' for empty
        text = fmt("COALESCE({}, '')", c)
        frag = row_guard(alias, at_base, text)
        frag = frag if d.pg else fmt("CAST({} AS TEXT)", frag)
        # A table's own column may stand in for the COALESCE in = (compare._bare_equal);
        # a view's column could hold any type, so views keep the COALESCE.
        bare = (frag, c) if at_base and not collection.is_view else None
        return Value(frag, Cls.TEXT, Aff.TEXT, bare=bare)
    return Value(c, Cls.TEXT, Aff.TEXT)


def _geo_text(d: Dialect, c: Frag) -> Frag:
    if not d.pg:
        return fmt("json({})", c)
    return fmt(
        "(CASE WHEN {} IS NULL THEN NULL ELSE {} || ({} ->> 'lon') || {} || ({} ->> 'lat') || {} END)",
        c, param('{"lon":'), c, param(',"lat":'), c, param("}"),
    )  # fmt: skip


def _relation_json(d: Dialect, collection: Collection, field: dict[str, Any], alias: str) -> Frag:
    """The id list of a multi relation as the binary's JSON text: ``["id1","id2"]``."""
    jt = qn(F.join_table(collection, field))
    owner = col(alias, "id")
    if d.pg:
        return fmt(
            "(SELECT '[' || COALESCE(string_agg('\"' || __er.target_id || '\"', ',' ORDER BY __er.position), '')"
            " || ']' FROM " + jt + " AS __er WHERE __er.record_id = {})",
            owner,
        )
    return fmt(
        "(SELECT '[' || COALESCE(group_concat('\"' || __ex.target_id || '\"', ','), '') || ']' FROM"
        " (SELECT __er.target_id FROM "
        + jt
        + " AS __er WHERE __er.record_id = {} ORDER BY __er.position) AS __ex)",
        owner,
    )


def length_value(d: Dialect, collection: Collection, field: dict[str, Any], alias: str) -> Value:
    """``:length``: the number of items (0 or 1 for a single-value field)."""
    c = col(alias, F.column(field)) if not F.is_primary_id(field) else col(alias, "id")
    if field.get("type") == "relation" and F.is_multiple(field):
        jt = qn(F.join_table(collection, field))
        frag = fmt(
            "(SELECT COUNT(*) FROM " + jt + " AS __er WHERE __er.record_id = {})", col(alias, "id")
        )
    elif F.is_multiple(field):
        frag = (
            fmt(
                "COALESCE(jsonb_array_length(CASE WHEN jsonb_typeof({}) = 'array' THEN {} END), 0)",
                c,
                c,
            )
            if d.pg
            else fmt("COALESCE(json_array_length({}), 0)", c)
        )
    else:
        frag = fmt("(CASE WHEN {} IS NULL OR {} = '' THEN 0 ELSE 1 END)", c, c)
    return Value(frag, Cls.NUM, numfmt=NumFmt.INT)


def each_value(d: Dialect, collection: Collection, field: dict[str, Any], track: Track) -> Value:
    """``:each``: one joined row per item (a single-value field is its own one item)."""
    if not F.is_multiple(field):
        value = column_value(d, collection, field, track.alias, track.at_base)
        return Value(value.frag if d.pg else fmt("+{}", value.frag), Cls.TEXT)
    parent = track.alias
    if field.get("type") == "relation":
        jt = qn(F.join_table(collection, field))
        alias = track.add(
            JoinSpec(
                ("each", parent, field["id"]),
                lambda a: fmt(
                    "LEFT JOIN " + jt + " AS " + qn(a) + " ON {} = {}",
                    col(a, "record_id"),
                    col(parent, "id"),
                ),
                order=lambda a: col(a, "position"),
            )
        )
        target = col(alias, "target_id")
        return Value(target if d.pg else fmt("+{}", target), Cls.TEXT)
    c = col(parent, F.column(field))
    alias = track.add(
        JoinSpec(
            ("each", parent, field["id"]),
            lambda a: _json_items_join(d, c, a),
            order=lambda a: _json_item_order(d, a),
        )
    )
    return Value(col(alias, "value"), Cls.TEXT)


def _json_items_join(d: Dialect, array: Frag, alias: str) -> Frag:
    if d.pg:
        return fmt(
            "LEFT JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof({}) = 'array' THEN {}"
            " ELSE jsonb_build_array({}) END) WITH ORDINALITY AS " + qn(alias) + "(value, ord) ON TRUE",
            array, array, array,
        )  # fmt: skip
    return fmt("LEFT JOIN json_each({}) AS " + qn(alias) + " ON 1=1", array)


def _json_item_order(d: Dialect, alias: str) -> Frag:
    return col(alias, "ord" if d.pg else "key")


def json_path_value(d: Dialect, field: dict[str, Any], alias: str, keys: list[str]) -> Value:
    """``j.a.0.b``: a JSON path that keeps JSON types; missing = NULL (wire-api §3.2)."""
    c = col(alias, F.column(field))
    if not d.pg:
        return Value(
            fmt("json_extract({}, {})", c, param(sqlite_json_path(keys))), Cls.DYN, nf=NF.DISABLED
        )
    frag = c
    for key in keys:
        index = _array_index(key)
        if index is None:
            frag = fmt("({} -> CAST({} AS text))", frag, param(key))
        elif index > 2**31 - 1:
            frag = Frag("CAST(NULL AS jsonb)")
        else:
            frag = fmt(
                f"(CASE WHEN jsonb_typeof({{}}) = 'array' THEN {{}} -> {index} END)", frag, frag
            )
    return Value(fmt("NULLIF({}, CAST('null' AS jsonb))", frag), Cls.DYN, nf=NF.DISABLED)


def _array_index(key: str) -> int | None:
    if not key.isdigit():
        return None
    value = int(key)
    return value if value < 2**63 else None


def sqlite_json_path(keys: list[str]) -> str:
    path = "".join(f"[{int(key)}]" if _array_index(key) is not None else f".{key}" for key in keys)
    return "$" + path


def lower_value(d: Dialect, value: Value) -> Value:
    """``:lower``: ASCII lower-case of the value's text (SQLite's LOWER)."""
    return Value(ascii_lower(d, text_of(d, value)), Cls.TEXT, nf=value.nf)


def rowid_order(d: Dialect, collection: Collection, alias: str) -> Frag | None:
    """Insertion order of a collection table's rows (the binary scans by rowid)."""
    if collection.is_view:
        return None
    return Frag(f"{qn(alias)}.ctid") if d.pg else col(alias, "_rowid_")
