"""Webhooks: which ones an event fires, the payload they get, and their validation.

Runs in ``record_changed`` (after commit): one indexed query for the matching webhooks,
the filter check (one query on the event's snapshot) for those that have one, then
``enqueue_delivery`` per match; the receivers are called in the background, never in
the request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Q

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
    names = [collection.id, collection.name]
    scope = Q(collection__in=names)
    if not collection.system:  # "*" means the app's collections, not _superusers & co.
        scope |= Q(collection=ANY_COLLECTION)
    found = Webhook.objects.filter(scope, enabled=True)
    return [hook for hook in found if event in (hook.events or [])]


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
