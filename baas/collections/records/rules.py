"""Applying API rules through the expression compiler (wire-api §3.6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baas.api.errors import BadRequest, Forbidden
from baas.auth.context import AuthContext
from baas.collections.models import Collection

SUPERUSERS_ONLY = "Only superusers can perform this action."
DENY = "1 = 0"


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
    from baas.collections.expr import ExpressionError, compile_filter

    try:
        return compile_filter(collection, text, info, alias="t", allow_request_refs=True)
    except ExpressionError:
        # A stored rule that no longer compiles (e.g. a field was removed) denies access.
        return DENY, []


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
    return ListQuery(
        compiled.where, compiled.where_params, compiled.order_by, compiled.order_params
    )


def combine(*parts: tuple[str, list[Any]]) -> tuple[str, list[Any]]:
    sql = [f"({s})" for s, _ in parts if s]
    params: list[Any] = []
    for s, p in parts:
        if s:
            params += p
    return " AND ".join(sql), params
