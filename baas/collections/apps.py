from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "baas.collections"
    label = "baas_collections"
    default_auto_field = "django.db.models.BigAutoField"
