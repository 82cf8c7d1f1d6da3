from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CollectionsConfig(AppConfig):
    name = "baas.collections"
    label = "baas_collections"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from baas.collections.expr.sqlite_functions import install
        from baas.collections.system import ensure_system_collections

        # SQLite builds without math functions get Python ones (geoDistance needs them).
        connection_created.connect(install, dispatch_uid="baas_sqlite_math")

        post_migrate.connect(
            ensure_system_collections, sender=self, dispatch_uid="baas_system_collections"
        )
