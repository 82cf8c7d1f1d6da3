from django.apps import AppConfig


class PushConfig(AppConfig):
    """Push notifications (issue #11): device tokens, FCM HTTP v1 and APNs senders."""

    name = "baas.push"
    label = "baas_push"
    default_auto_field = "django.db.models.BigAutoField"
