"""The GraphQL schema, generated from the collections (docs/graphql.md).

Per collection ``posts`` (type ``Posts``):

- ``Query.posts(id)`` and ``Query.postsList(filter, sort, search, page, perPage, skipTotal)``;
- ``Mutation.createPosts(data)``, ``updatePosts(id, data)``, ``deletePosts(id)``
  (not for view collections; file fields are left to REST);
- ``Subscription.posts(id, filter)``: ``PostsEvent {action, record}``.

A relation field is the nested record(s) (rule-checked, hidden ones left out), with
the raw id(s) beside it as ``<field>Id`` / ``<field>Ids``; back-relations are
``<collection>_via_<field>``. The schema is cached per process and keyed by every
collection's (id, schema_version, created): any schema change, rule change included,
builds a new one on the next request. An API key limited to some collections gets a
schema built from those collections only (``current(viewer)``): a relation to a
collection outside its scope is then the raw id(s), as REST shows it to the key.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import partial
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    value_from_ast_untyped,
)

from baas.auth.context import ACTIONS, ApiKeyScope, AuthContext
from baas.collections.fields import get_field_type
from baas.collections.models import Collection
from baas.graphql import resolvers

log = logging.getLogger("baas.graphql")

NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
RESERVED = {"Query", "Mutation", "Subscription", "JSON", "GeoPoint", "String", "Int", "Float"}
RESERVED |= {"Boolean", "ID"}
NOT_WRITTEN = {"autodate", "file"}  # server-managed; files go through REST multipart
AUTH_INPUTS = ("passwordConfirm", "oldPassword")
MUTATION_NOTE = (
    "File fields are not set through GraphQL: upload files with the REST API "
    "(multipart POST/PATCH /api/collections/{collection}/records)."
)


def _json_literal(node: Any, variables: Any = None) -> Any:
    return value_from_ast_untyped(node, variables)


JSON = GraphQLScalarType(
    "JSON",
    description="Any JSON value (json fields; geoPoint input).",
    parse_value=lambda value: value,
    parse_literal=_json_literal,
)
GEO_POINT = GraphQLObjectType(
    "GeoPoint", {"lon": GraphQLField(GraphQLFloat), "lat": GraphQLField(GraphQLFloat)}
)
STRINGS = GraphQLList(GraphQLNonNull(GraphQLString))


def type_name(collection: Collection) -> str:
    name = collection.name
    return (name[0].upper() + name[1:]) if not name[0].isdigit() else f"_{name}"


def _graphql_name(name: str) -> bool:
    return bool(NAME.match(name)) and not name.startswith("__")


def _multi(field: dict[str, Any]) -> bool:
    field_type = get_field_type(field["type"])
    return field_type is not None and field_type.is_multi(field)


def output_type(field: dict[str, Any]) -> Any:
    kind = field["type"]
    if kind == "password":
        return None
    if kind == "number":
        return GraphQLFloat
    if kind == "bool":
        return GraphQLBoolean
    if kind == "json":
        return JSON
    if kind == "geoPoint":
        return GEO_POINT
    if kind in ("select", "file", "relation"):
        return STRINGS if _multi(field) else GraphQLString
    return GraphQLString


def input_type(field: dict[str, Any]) -> Any:
    if field["type"] in NOT_WRITTEN:
        return None
    if field["type"] in ("password", "geoPoint"):
        return GraphQLString if field["type"] == "password" else JSON
    return output_type(field)


@dataclass
class Built:
    key: tuple[Any, ...]
    schema: GraphQLSchema
    collections: dict[str, Collection]  # by subscription field name


class _Builder:
    def __init__(self, collections: list[Collection]):
        self.used: set[str] = set(RESERVED)
        self.collections = [c for c in collections if self._usable(c)]
        self.types: dict[str, GraphQLObjectType] = {}
        self.by_id = {c.id: c for c in self.collections}
        for collection in self.collections:
            self.types[collection.id] = GraphQLObjectType(
                type_name(collection),
                fields=partial(self._fields, collection),  # a thunk: types refer to each other
                description=f"A record of the {collection.name} collection.",
            )

    def _usable(self, collection: Collection) -> bool:
        """Names that GraphQL cannot spell, or that another collection's would clash
        with, leave the collection out (and logged)."""
        name = type_name(collection)
        ok = _graphql_name(collection.name) and _graphql_name(name) and name not in self.used
        ok = ok and not name.endswith(("List", "Input", "Event"))
        self.used.add(name)
        if not ok:
            log.warning("graphql: collection %s left out (its name)", collection.name)
        return ok

    def _fields(self, collection: Collection) -> dict[str, GraphQLField]:
        fields: dict[str, GraphQLField] = {}
        names = {f["name"] for f in collection.fields}
        for field in collection.fields:
            name = field["name"]
            if not _graphql_name(name):
                continue
            if field["type"] == "relation" and field.get("collectionId") in self.types:
                multi = _multi(field)
                target_type = self.types[field["collectionId"]]
                target = self.by_id[field["collectionId"]]
                fields[name] = GraphQLField(
                    GraphQLNonNull(GraphQLList(GraphQLNonNull(target_type)))
                    if multi
                    else target_type,
                    resolve=resolvers.related(field, target, multi),
                    description="The related record(s) the caller may view.",
                )
                raw = f"{name}Ids" if multi else f"{name}Id"
                if raw not in names:
                    fields[raw] = GraphQLField(output_type(field), resolve=resolvers.value_of(name))
                continue
            kind = output_type(field)
            if kind is not None and not (collection.is_auth and name == "tokenKey"):
                fields[name] = GraphQLField(kind, resolve=resolvers.value_of(name))
        fields.update(self._back_relations(collection, fields))
        return fields

    def _back_relations(
        self, collection: Collection, taken: dict[str, GraphQLField]
    ) -> dict[str, GraphQLField]:
        out: dict[str, GraphQLField] = {}
        for other in self.collections:
            if other.is_view:
                continue
            for field in other.fields:
                if field["type"] != "relation" or field.get("collectionId") != collection.id:
                    continue
                name = f"{other.name}_via_{field['name']}"
                if _graphql_name(name) and name not in taken:
                    out[name] = GraphQLField(
                        GraphQLNonNull(GraphQLList(GraphQLNonNull(self.types[other.id]))),
                        resolve=resolvers.back_related(other, field),
                        description=f"Records of {other.name} whose {field['name']} points here.",
                    )
        return out

    # ---- root types ------------------------------------------------------------------------
    def query(self) -> GraphQLObjectType:
        fields: dict[str, GraphQLField] = {}
        for collection in self.collections:
            record = self.types[collection.id]
            page = GraphQLObjectType(
                f"{type_name(collection)}List",
                {
                    "page": GraphQLField(GraphQLNonNull(GraphQLInt)),
                    "perPage": GraphQLField(GraphQLNonNull(GraphQLInt)),
                    "totalItems": GraphQLField(GraphQLNonNull(GraphQLInt)),
                    "totalPages": GraphQLField(GraphQLNonNull(GraphQLInt)),
                    "items": GraphQLField(GraphQLNonNull(GraphQLList(GraphQLNonNull(record)))),
                },
            )
            fields[collection.name] = GraphQLField(
                record,
                args={"id": GraphQLArgument(GraphQLNonNull(GraphQLID))},
                resolve=resolvers.view_record(collection),
                description="One record (null when missing or not visible to the caller).",
            )
            fields[f"{collection.name}List"] = GraphQLField(
                page,  # nullable: a refused list leaves the other root fields standing
                args={
                    "filter": GraphQLArgument(GraphQLString),
                    "sort": GraphQLArgument(GraphQLString),
                    "search": GraphQLArgument(GraphQLString),
                    "page": GraphQLArgument(GraphQLInt),
                    "perPage": GraphQLArgument(GraphQLInt),
                    "skipTotal": GraphQLArgument(GraphQLBoolean),
                },
                resolve=resolvers.list_records(collection),
                description="A page of records, as GET /api/collections/{collection}/records.",
            )
        return GraphQLObjectType("Query", fields)

    def mutation(self) -> GraphQLObjectType | None:
        fields: dict[str, GraphQLField] = {}
        for collection in self.collections:
            if collection.is_view:
                continue
            name = type_name(collection)
            data = GraphQLArgument(GraphQLNonNull(self._input(collection)))
            record_id = GraphQLArgument(GraphQLNonNull(GraphQLID))
            fields[f"create{name}"] = GraphQLField(
                self.types[collection.id],
                args={"data": data},
                resolve=resolvers.create_record(collection),
                description=MUTATION_NOTE,
            )
            fields[f"update{name}"] = GraphQLField(
                self.types[collection.id],
                args={"id": record_id, "data": data},
                resolve=resolvers.update_record(collection),
                description=MUTATION_NOTE,
            )
            fields[f"delete{name}"] = GraphQLField(
                GraphQLBoolean, args={"id": record_id}, resolve=resolvers.delete_record(collection)
            )
        return GraphQLObjectType("Mutation", fields, description=MUTATION_NOTE) if fields else None

    def _input(self, collection: Collection) -> GraphQLInputObjectType:
        fields: dict[str, GraphQLInputField] = {}
        for field in collection.fields:
            kind = input_type(field)
            if kind is not None and _graphql_name(field["name"]):
                fields[field["name"]] = GraphQLInputField(kind)
        if collection.is_auth:
            fields.pop("tokenKey", None)
            for name in AUTH_INPUTS:
                fields.setdefault(name, GraphQLInputField(GraphQLString))
        return GraphQLInputObjectType(f"{type_name(collection)}Input", fields)

    def subscription(self) -> tuple[GraphQLObjectType | None, dict[str, Collection]]:
        fields: dict[str, GraphQLField] = {}
        targets: dict[str, Collection] = {}
        for collection in self.collections:
            if collection.is_view:
                continue
            event = GraphQLObjectType(
                f"{type_name(collection)}Event",
                {
                    "action": GraphQLField(GraphQLNonNull(GraphQLString)),
                    "record": GraphQLField(self.types[collection.id]),
                },
            )
            fields[collection.name] = GraphQLField(
                GraphQLNonNull(event),
                args={"id": GraphQLArgument(GraphQLID), "filter": GraphQLArgument(GraphQLString)},
                resolve=resolvers.event,
                description="Changes: every record the list rule lets the caller see, or "
                "with id, that record under its view rule (the realtime feed's checks).",
            )
            targets[collection.name] = collection
        return (GraphQLObjectType("Subscription", fields) if fields else None), targets


def build(collections: list[Collection], key: tuple[Any, ...] = ()) -> Built:
    builder = _Builder(collections)
    subscription, targets = builder.subscription()
    schema = GraphQLSchema(
        query=builder.query(),
        mutation=builder.mutation(),
        subscription=subscription,
        types=list(builder.types.values()),
    )
    return Built(key=key, schema=schema, collections=targets)


_cache: Built | None = None
_scoped: dict[tuple[Any, ...], Built] = {}
_lock = threading.Lock()
MAX_SCOPED = 32


def schema_key() -> tuple[Any, ...]:
    return tuple(Collection.objects.order_by("id").values_list("id", "schema_version", "created"))


def current(viewer: AuthContext | None = None) -> Built:
    """This process's schema for the collections as they are now, as ``viewer`` may see
    it: an API key limited to some collections gets a schema of those alone, so that
    neither introspection, nor a "Did you mean" suggestion, nor an unknown-field answer
    tells it which other collections exist (REST's answer is the same 403 for both)."""
    global _cache
    key = schema_key()
    cached = _cache
    if cached is None or cached.key != key:
        cached = build(list(Collection.objects.order_by("name")), key)
        with _lock:
            _cache = cached
    scope = viewer.scopes if viewer is not None else None
    if scope is None or not scope.collections:
        return cached
    return _for_scope(cached, scope)


def _for_scope(full: Built, scope: ApiKeyScope) -> Built:
    """The schema of the collections ``scope`` allows any action on (its key is the full
    schema's: a schema change is seen the same way)."""
    cache_key = (full.key, scope.collections)
    with _lock:
        found = _scoped.get(cache_key)
    if found is not None:
        return found
    collections = Collection.objects.order_by("name")
    allowed = [c for c in collections if any(scope.allows(c, action) for action in ACTIONS)]
    built = build(allowed, full.key)
    with _lock:
        if len(_scoped) >= MAX_SCOPED or any(k[0] != full.key for k in _scoped):
            _scoped.clear()
        _scoped[cache_key] = built
    return built
