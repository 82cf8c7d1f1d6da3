"""Webhooks: which ones an event fires, the payload they get, and their validation.

Runs in ``record_changed`` (after commit): the enabled webhooks come from a per-process
cache checked against a one-query token of ``_webhooks`` (so a write with no webhook to
fire costs one small query, not an ORM query per write), the filter check (one query
on the event's snapshot) for those that have one, then ``enqueue_delivery`` per match;
the receivers are called in the background, never in the request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction

from baas.auth.context import AuthContext
from baas.collections.models import SUPERUSERS_ID, Collection
from baas.webhooks.delivery import enqueue_delivery
from baas.webhooks.models import ANY_COLLECTION, Webhook

log = logging.getLogger("baas.webhooks")

# the superuser's view of a record (hidden fields included; password hashes and
# tokenKey never: serialize drops them for everyone)
SUPERUSER = AuthContext(
    record={"id": "system"}, collection=Collection(id=SUPERUSERS_ID, type="auth")
)


def matching(collection: Collection, event: str) -> list[Webhook]:
    """The enabled webhooks ``event`` on ``collection`` fires, oldest first. Shared
    instances from the cache: read them, never change them."""
    names = (collection.id, collection.name)
    return [
        hook
        for hook in enabled_webhooks()
        # "*" means the app's collections, not _superusers & co.
        if (
            hook.collection in names
            or (hook.collection == ANY_COLLECTION and not collection.system)
        )
        and event in (hook.events or [])
    ]


# ---- per-process cache of the enabled webhooks ------------------------------------------
#
# Every create, update and delete asked the database for its webhooks through the ORM
# (bench/PROFILE.md, fourth pass). The cache keeps the enabled ones, checked on every
# use against a *token* read with one plain query: each webhook's id and ``updated``
# (set by every save; an import keeps the exported stamp, which still differs from the
# row it replaces unless the row is the same). A change committed by any process, on
# any server, changes the token, so the next write everywhere reloads (a restore from
# a backup as well). Inside a transaction of our own the database is read directly, so
# nothing uncommitted is ever cached.

_TOKEN_SQL = 'SELECT "id", "updated" FROM "_webhooks" ORDER BY "id"'

_cached: tuple[tuple[Any, ...], list[Webhook]] | None = None


def enabled_webhooks() -> list[Webhook]:
    global _cached
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        return list(Webhook.objects.filter(enabled=True))
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_SQL)
        token = tuple(tuple(row) for row in cursor.fetchall())
    cached = _cached
    if cached is None or cached[0] != token:
        cached = (token, list(Webhook.objects.filter(enabled=True)))
        _cached = cached
    return cached[1]


def forget_cache() -> None:
    """Drop the cached webhooks (tests)."""
    global _cached
    _cached = None


def fire_record_event(collection: Collection, action: str, record: dict[str, Any]) -> list[str]:
    """Queue a delivery to every webhook this change fires; the delivery ids."""
    events = [action]
    if action == "create" and collection.is_auth and not collection.is_superusers:
        events.append("auth.signup")  # a new account, whichever way it was made
    ids = []
    for event in events:
        for hook in matching(collection, event):
            if hook.filter and not passes(hook, collection, action, record):
                continue
            ids.append(_enqueue(hook, event, collection, record))
    return ids


def fire_auth_event(
    event: str, collection: Collection, record: dict[str, Any], extra: dict[str, Any]
) -> list[str]:
    """``auth.signin`` and the like (sent after commit); the delivery ids."""
    ids = []
    for hook in matching(collection, event):
        if hook.filter and not passes(hook, collection, event, record):
            continue
        ids.append(_enqueue(hook, event, collection, record, extra))
    return ids


def _enqueue(
    hook: Webhook,
    event: str,
    collection: Collection,
    record: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> str:
    payload = {"collection": {"id": collection.id, "name": collection.name}, **(extra or {})}
    payload["record"] = record_payload(collection, record)
    with transaction.atomic():  # the row and its on_commit dispatch, outside any caller's
        return enqueue_delivery(hook.url, hook.secret, event, payload, hook.id)


def record_payload(collection: Collection, record: dict[str, Any]) -> dict[str, Any]:
    from baas.collections.records.serialize import serialize

    return serialize(collection, record, SUPERUSER, show_email=True)


def passes(hook: Webhook, collection: Collection, action: str, record: dict[str, Any]) -> bool:
    """Whether the event's record matches the webhook's filter, read as a superuser.

    The record is the event's snapshot: the state the create or update wrote, the last
    state before a delete (the row is gone from the table by then). It is checked as
    realtime checks a subscription's filter (``baas.realtime.access.evaluate``: the
    snapshot as a one-row table, a deleted record's multi-relations included).
    """
    from baas.auth.records import SYSTEM
    from baas.collections.records import rules
    from baas.realtime.access import evaluate

    try:
        condition = rules.client_filter(collection, hook.filter, SYSTEM.viewer, SYSTEM.info())
    except Exception:  # a filter the schema no longer supports: logged, nothing sent
        log.warning("webhook %s: its filter failed on %s", hook.id, collection.name, exc_info=True)
        return False
    return all(evaluate(collection, record, [condition], action).values())
