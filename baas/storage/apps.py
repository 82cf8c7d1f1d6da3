from typing import Any

from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "baas.storage"
    label = "baas_storage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from baas.collections.records.steps import register_step
        from baas.collections.signals import collection_deleted
        from baas.storage.steps import FILE_STEP

        register_step(FILE_STEP)
        collection_deleted.connect(_collection_deleted, dispatch_uid="baas.storage")
        request_finished.connect(_request_finished, dispatch_uid="baas.storage")


def _collection_deleted(sender: Any, collection: Any, **kwargs: Any) -> None:
    from baas.storage.service import FileService

    FileService().collection_deleted(collection)


def _request_finished(sender: Any, **kwargs: Any) -> None:
    from baas.storage.service import discard_abandoned

    discard_abandoned()
