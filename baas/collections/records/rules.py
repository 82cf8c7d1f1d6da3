"""Applying API rules through the expression compiler (wire-api §3.6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from baas.api.errors import BadRequest, Forbidden
from baas.auth.context import AuthContext
from baas.collections.models import Collection

SUPERUSERS_ONLY = "Only superusers can perform this action."
DENY = "1 = 0"
OUT_OF_SCOPE = "The API key is not allowed to perform this action."


def request_info(
    viewer: AuthContext,
    *,
    method: str = "GET",
    context: str = "default",
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> Any:
    from baas.collections.expr import RequestInfo

    auth = None
    if viewer.record is not None and viewer.collection is not None:
        auth = dict(
            viewer.record, collectionId=viewer.collection.id, collectionName=viewer.collection.name
        )
    return RequestInfo(
        auth=auth,
        auth_collection=viewer.collection,
        is_superuser=viewer.is_superuser,
        method=method,
        context=context,
        query=query or {},
        headers=headers or {},
        body=body,
    )


def rule_condition(
    collection: Collection, rule_name: str, viewer: AuthContext, info: Any
) -> tuple[str, list[Any]]:
    """SQL for the rule ("" = no condition), or Forbidden when the rule is locked."""
    if viewer.is_superuser:
        return "", []
    rule = collection.rule(rule_name)
    if rule is None:
        raise Forbidden(SUPERUSERS_ONLY)
    if rule.strip() == "":
        return "", []
    return compile_rule(collection, rule, info)


def compile_rule(collection: Collection, text: str, info: Any) -> tuple[str, list[Any]]:
    from baas.collections.expr import ExpressionError, Tracked, compile_filter

    key = _compiled_key("rule", collection, info, text)
    if key is not None:
        hit = _compiled.get(key)
        if hit is not None:
            return hit[0], list(hit[1])
    track = Tracked()
    try:
        where, params = compile_filter(
            collection, text, info, alias="t", allow_request_refs=True, track=track
        )
    except ExpressionError:
        # A stored rule that no longer compiles (e.g. a field was removed) denies access.
        where, params = DENY, []
    if key is not None and not track.volatile:
        _remember(key, (where, tuple(params)))
    return where, params


# ---- compiled rules, kept (bench/PROFILE.md, "Fifth pass") ------------------------------
#
# A rule's SQL depends on the schema of the collections it reaches and, through
# ``@request.auth.*``, on the signed-in record; unless the compiler reports it *volatile*
# (it read the clock or the request's query, headers, body, method or context). So a
# compile that is not volatile is kept under: the collections snapshot token (any
# committed schema or rule change anywhere gives a new one; ``models.current_token``
# refuses copies edited in memory and open transactions), the database, the texts, and
# the signed-in record's collection and every value of it. A signed-in user's owner-rule
# list compiles once per process, not on every request.
# Long client texts are not kept, and the table is emptied when full, so a client
# sending endless distinct filters costs a bounded amount of memory.
_compiled: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_COMPILED_MAX = 1024
_KEPT_TEXT_MAX = 1000


def _compiled_key(kind: str, collection: Collection, info: Any, *texts: Any) -> tuple | None:
    import orjson

    from baas.collections.models import current_token

    if sum(len(text) for text in texts if text) > _KEPT_TEXT_MAX:
        return None
    token = current_token(collection)
    if token is None:
        return None
    auth = info.auth
    auth_key = None
    if auth is not None:
        try:
            auth_key = orjson.dumps(auth, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        except TypeError:
            return None  # a value orjson cannot write: not kept
    owner = info.auth_collection
    return (
        kind,
        connection.vendor,
        token,
        collection.id,
        bool(info.is_superuser),
        owner.id if owner is not None else None,
        auth_key,
        *texts,
    )


def _remember(key: tuple[Any, ...], value: tuple[Any, ...]) -> None:
    if len(_compiled) >= _COMPILED_MAX:
        _compiled.clear()
    _compiled[key] = value


def client_filter(
    collection: Collection, text: str | None, viewer: AuthContext, info: Any
) -> tuple[str, list[Any]]:
    from baas.collections.expr import (
        MAX_FILTER_LENGTH,
        ExpressionError,
        ForbiddenExpression,
        compile_filter,
    )

    if text is None or text == "":
        return "", []
    if not text.strip():
        raise BadRequest()
    check_key_scope(collection, viewer, text, None)
    try:
        return compile_filter(
            collection,
            text,
            info,
            alias="t",
            allow_request_refs=viewer.is_superuser,
            max_length=MAX_FILTER_LENGTH,
        )
    except ForbiddenExpression as exc:
        raise Forbidden(exc.message) from None
    except ExpressionError:
        raise BadRequest() from None


def client_sort(
    collection: Collection, text: str | None, viewer: AuthContext, info: Any
) -> tuple[list[str], list[Any]]:
    from baas.collections.expr import ExpressionError, ForbiddenExpression, compile_sort

    if not text:
        return [], []
    check_key_scope(collection, viewer, None, text)
    try:
        return compile_sort(collection, text, info, alias="t")
    except ForbiddenExpression as exc:
        raise Forbidden(exc.message) from None
    except ExpressionError:
        raise BadRequest() from None


@dataclass(frozen=True)
class ListQuery:
    where: str
    params: list[Any]
    order: list[str]
    order_params: list[Any]


def list_query(
    collection: Collection,
    viewer: AuthContext,
    info: Any,
    filter_text: str | None,
    sort_text: str | None,
) -> ListQuery:
    """The list rule, the client's filter and sort in one compile, sharing their joins
    the way the peer does (a sort through a relation the caller may not list drops
    the row, as on the peer)."""
    from baas.collections.expr import ExpressionError, ForbiddenExpression, compile_list

    rule = None
    if not viewer.is_superuser:
        rule = collection.rule("listRule")
        if rule is None:
            raise Forbidden(SUPERUSERS_ONLY)
        rule = rule if rule.strip() else None
    if filter_text is not None and filter_text != "" and not filter_text.strip():
        raise BadRequest()
    check_key_scope(collection, viewer, filter_text, sort_text)
    key = _compiled_key("list", collection, info, rule, filter_text or None, sort_text or None)
    if key is not None:
        hit = _compiled.get(key)
        if hit is not None:
            return ListQuery(hit[0], list(hit[1]), list(hit[2]), list(hit[3]))
    try:
        compiled = compile_list(
            collection, info, rule=rule, filter=filter_text or None, sort=sort_text or None
        )
    except ForbiddenExpression as exc:
        raise Forbidden(exc.message) from None
    except ExpressionError:
        if rule and compile_rule(collection, rule, info)[0] == DENY:
            return ListQuery(DENY, [], [], [])  # a stored rule that no longer compiles denies
        raise BadRequest() from None
    if key is not None and not compiled.volatile:
        _remember(
            key,
            (
                compiled.where,
                tuple(compiled.where_params),
                tuple(compiled.order_by),
                tuple(compiled.order_params),
            ),
        )
    return ListQuery(
        compiled.where, compiled.where_params, compiled.order_by, compiled.order_params
    )


def check_key_scope(
    collection: Collection, viewer: AuthContext, filter_text: str | None, sort_text: str | None
) -> None:
    """An API key limited to some collections acts as a superuser inside them only: its
    filter or sort may not reach into another collection (a relation, a back-relation,
    ``@collection.*``), or it could learn that collection's values by yes/no answers."""
    from baas.collections.expr import ExpressionError, parse, parse_sort

    scopes = viewer.scopes
    if scopes is None or not scopes.collections:
        return
    paths: list[tuple[Collection, tuple[str, ...]]] = []
    try:
        if filter_text:
            _field_paths(collection, parse(filter_text), paths)
        for item in parse_sort(sort_text) if sort_text else []:
            paths.append((collection, tuple(item.name.split("."))))
    except ExpressionError:
        return  # the compile answers it (400)
    for start, path in paths:
        for reached in _reached(start, path):
            if not scopes.allows(reached, "list"):
                raise Forbidden(OUT_OF_SCOPE)


def _field_paths(
    collection: Collection, node: Any, out: list[tuple[Collection, tuple[str, ...]]]
) -> None:
    from baas.collections.expr import ast

    if isinstance(node, ast.Field):
        out.append((collection, node.path))
    elif isinstance(node, ast.CollectionRef):
        other = _named(node.collection)
        out.append((other or Collection(id=node.collection, name=node.collection), ()))
        if other is not None:
            out.append((other, node.path))
    elif isinstance(node, ast.Comparison):
        _field_paths(collection, node.left, out)
        _field_paths(collection, node.right, out)
    elif isinstance(node, (ast.And, ast.Or)):
        for item in node.items:
            _field_paths(collection, item, out)
    elif isinstance(node, ast.Function):
        for arg in node.args:
            _field_paths(collection, arg, out)


def _named(name: str) -> Collection | None:
    return (
        Collection.objects.filter(name__iexact=name).first()
        or Collection.objects.filter(id=name).first()
    )


def _reached(collection: Collection, path: tuple[str, ...]) -> list[Collection]:
    """The collections a field path walks into (itself included)."""
    reached = [collection]
    current: Collection | None = collection
    for prop in path[:-1]:
        if current is None:
            break
        found = current.field(prop)
        if found is None and "_via_" in prop:
            current = _named(prop.partition("_via_")[0])
        elif found is not None and found.get("type") == "relation":
            current = Collection.objects.filter(id=found.get("collectionId")).first()
        else:
            break
        if current is not None:
            reached.append(current)
    return reached


def combine(*parts: tuple[str, list[Any]]) -> tuple[str, list[Any]]:
    sql = [f"({s})" for s, _ in parts if s]
    params: list[Any] = []
    for s, p in parts:
        if s:
            params += p
    return " AND ".join(sql), params
