from django.apps import AppConfig


class AuthConfig(AppConfig):
    name = "baas.auth"
    label = "baas_auth"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from baas.auth.signals import on_record_changed
        from baas.collections.records.events import record_changed

        record_changed.connect(on_record_changed, dispatch_uid="baas_auth_side_tables")
