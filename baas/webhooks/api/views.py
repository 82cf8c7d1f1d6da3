"""``/api/webhooks``: superusers manage webhooks, read the delivery log, replay, test."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import SuperuserView
from baas.api.errors import BadRequest, NotFound
from baas.api.listing import Page, envelope, parse_page
from baas.webhooks import delivery as deliveries
from baas.webhooks import validation
from baas.webhooks.models import Delivery, Webhook


def describe(hook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    """A webhook as the API shows it: the secret only right after it was set."""
    out: dict[str, Any] = {
        "id": hook.id,
        "name": hook.name,
        "collection": hook.collection,
        "events": hook.events,
        "url": hook.url,
        "enabled": hook.enabled,
        "filter": hook.filter,
        "secretHint": mask(hook.secret),
        "created": deliveries.wire(hook.created),
        "updated": deliveries.wire(hook.updated),
    }
    if with_secret:
        out["secret"] = hook.secret
    return out


def mask(secret: str) -> str:
    return f"{secret[:6]}…{secret[-4:]}" if len(secret) > 12 else "…"


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise BadRequest("Failed to load the submitted data due to invalid formatting.")
    return dict(request.data)


def _webhook(webhook_id: str) -> Webhook:
    found = Webhook.objects.filter(id=webhook_id).first()
    if found is None:
        raise NotFound()
    return found


def _delivery(delivery_id: str) -> Delivery:
    found = Delivery.objects.filter(id=delivery_id).select_related("webhook").first()
    if found is None:
        raise NotFound()
    return found


class WebhookListView(SuperuserView):
    def get(self, request: Request) -> Response:
        hooks = [describe(h) for h in Webhook.objects.all()]  # a handful: one page
        return Response(envelope(Page(1, max(len(hooks), 1), False), hooks, len(hooks)))

    def post(self, request: Request) -> Response:
        data = _body(request)
        hook = validation.apply(Webhook(), data, creating=True)
        hook.save()
        return Response(describe(hook, with_secret=True))


class WebhookDetailView(SuperuserView):
    def get(self, request: Request, webhook_id: str) -> Response:
        return Response(describe(_webhook(webhook_id)))

    def patch(self, request: Request, webhook_id: str) -> Response:
        data = _body(request)
        hook = validation.apply(_webhook(webhook_id), data, creating=False)
        hook.save()
        return Response(describe(hook, with_secret="secret" in data))

    def delete(self, request: Request, webhook_id: str) -> Response:
        _webhook(webhook_id).delete()
        return Response(status=204)


class WebhookDeliveriesView(SuperuserView):
    def get(self, request: Request, webhook_id: str) -> Response:
        hook = _webhook(webhook_id)
        page = parse_page(request.query_params)
        found = hook.deliveries.prefetch_related("attempt_log")
        items = found[page.offset : page.offset + page.per_page]
        total = None if page.skip_total else found.count()
        return Response(envelope(page, [deliveries.describe(d) for d in items], total))


class WebhookTestView(SuperuserView):
    """Sends a ``test`` event with a sample payload; the new delivery's id."""

    def post(self, request: Request, webhook_id: str) -> Response:
        hook = _webhook(webhook_id)
        payload = {"collection": {"id": hook.collection, "name": ""}, "record": {"id": "test"}}
        with transaction.atomic():
            new_id = deliveries.enqueue_delivery(hook.url, hook.secret, "test", payload, hook.id)
        return Response({"delivery": new_id})


class DeliveryDetailView(SuperuserView):
    def get(self, request: Request, delivery_id: str) -> Response:
        return Response(deliveries.describe(_delivery(delivery_id)))


class DeliveryReplayView(SuperuserView):
    def post(self, request: Request, delivery_id: str) -> Response:
        with transaction.atomic():
            new_id = deliveries.replay(_delivery(delivery_id))
        return Response({"delivery": new_id})
