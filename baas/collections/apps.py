from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CollectionsConfig(AppConfig):
    name = "baas.collections"
    label = "baas_collections"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from baas.collections.system import ensure_system_collections

        post_migrate.connect(
            ensure_system_collections, sender=self, dispatch_uid="baas_system_collections"
        )
