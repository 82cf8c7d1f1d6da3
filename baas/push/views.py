"""``/api/push``: devices of the signed-in user; sends for superusers and API keys."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from baas.api.base import ApiView, SuperuserView
from baas.api.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    field_error,
)
from baas.auth.context import AuthContext
from baas.push import service
from baas.push.models import Device, Notification


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise BadRequest("Failed to load the submitted data due to invalid formatting.")
    return dict(request.data)


class UserView(ApiView):
    """A signed-in auth record (an API key is not a user, so it has no devices)."""

    def user(self, request: Request) -> AuthContext:
        auth = self.auth(request)
        if auth.is_guest:
            raise Unauthorized()
        if auth.api_key or auth.collection is None:
            raise Forbidden("Only signed-in users have devices.")
        return auth

    def mine(self, request: Request) -> Any:
        auth = self.user(request)
        assert auth.collection is not None
        return Device.objects.filter(collection_id=auth.collection.id, user_id=auth.id)


class DeviceListView(UserView):
    def get(self, request: Request) -> Response:
        return Response([service.describe_device(d) for d in self.mine(request)])

    def post(self, request: Request) -> Response:
        auth = self.user(request)
        assert auth.collection is not None
        device = service.register(auth.collection.id, auth.id, _body(request))
        return Response(service.describe_device(device))

    def delete(self, request: Request) -> Response:
        """``{"token": …}``: forget this device (sign-out on the phone)."""
        token = _body(request).get("token")
        if not isinstance(token, str) or not token:
            raise ValidationFailed(
                data={"token": field_error("validation_required", "Cannot be blank.")}
            )
        if not self.mine(request).filter(token=token.strip()).delete()[0]:
            raise NotFound()
        return Response(status=204)


class DeviceDetailView(UserView):
    def delete(self, request: Request, device_id: str) -> Response:
        if not self.mine(request).filter(id=device_id).delete()[0]:
            raise NotFound()
        return Response(status=204)


class SendView(SuperuserView):
    """``{"user": id | "topic": name, "title", "body", "data"}`` → the queued notification."""

    def post(self, request: Request) -> Response:
        data = _body(request)
        user, topic = data.get("user") or "", data.get("topic") or ""
        errors: dict[str, Any] = {}
        if not isinstance(user, str) or not isinstance(topic, str) or bool(user) == bool(topic):
            errors["user"] = field_error("validation_required", "Give a user id or a topic.")
        for name in ("title", "body", "collection"):
            if not isinstance(data.get(name, ""), str):
                errors[name] = field_error("validation_invalid_value", "Must be a text.")
        if not isinstance(data.get("data", {}), dict):
            errors["data"] = field_error("validation_invalid_value", "Must be an object.")
        if not (data.get("title") or data.get("body")):
            errors["title"] = field_error("validation_required", "A title or a body is required.")
        if errors:
            raise ValidationFailed(data=errors)
        note_id = service.send(
            user_id=user or None,
            topic=topic or None,
            title=data.get("title", ""),
            body=data.get("body", ""),
            data=data.get("data") or {},
            collection_id=_collection_id(data.get("collection", "")),
        )
        note = Notification.objects.get(id=note_id)
        return Response(service.describe_notification(note))


def _collection_id(name_or_id: str) -> str | None:
    if not name_or_id:
        return None
    from baas.collections.api.views import find_collection

    return find_collection(name_or_id).id


class NotificationView(SuperuserView):
    def get(self, request: Request, notification_id: str) -> Response:
        note = Notification.objects.filter(id=notification_id).first()
        if note is None:
            raise NotFound()
        return Response(service.describe_notification(note))
