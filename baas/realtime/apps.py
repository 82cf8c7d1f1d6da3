from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "baas.realtime"
    label = "baas_realtime"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from baas.collections.records.events import record_changed
        from baas.realtime.events import on_record_changed

        record_changed.connect(on_record_changed, dispatch_uid="baas_realtime_publish")
