from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "baas.storage"
    label = "baas_storage"
    default_auto_field = "django.db.models.BigAutoField"
