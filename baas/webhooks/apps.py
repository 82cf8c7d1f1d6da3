from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Webhooks on record and auth events (issue #11); delivery log and replay."""

    name = "baas.webhooks"
    label = "baas_webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from baas.collections.records.events import record_changed
        from baas.webhooks.events import on_record_changed, on_signed_in

        record_changed.connect(on_record_changed, dispatch_uid="baas_webhooks_records")
        from baas.auth.signals import signed_in

        signed_in.connect(on_signed_in, dispatch_uid="baas_webhooks_signed_in")
