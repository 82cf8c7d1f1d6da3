"""The record write step for file fields (plugs into ``records.steps``; STYLE §1)."""

from __future__ import annotations

from typing import Any

from baas.collections.models import Collection
from baas.collections.records.payload import Submission
from baas.storage.service import FileService, discard_abandoned


class FileStep:
    """Uploads are stored in ``prepare``, undone in ``failed``, old files go after commit."""

    def __init__(self) -> None:
        self.service = FileService()

    def prepare(
        self,
        collection: Collection,
        submission: Submission,
        row: dict[str, Any],
        existing: dict[str, Any] | None,
        errors: dict[str, Any],
    ) -> None:
        self.service.prepare(collection, submission, row, existing, errors)

    def prepares_inside(self, collection: Collection, submission: Submission) -> bool:
        """Without uploads ``prepare`` only plans names to delete after commit."""
        return not submission.files

    def written(
        self, collection: Collection, row: dict[str, Any], existing: dict[str, Any] | None
    ) -> None:
        self.service.written(collection, row)

    def failed(
        self, collection: Collection, row: dict[str, Any], existing: dict[str, Any] | None
    ) -> None:
        self.service.failed(collection, row)

    def deleted(self, collection: Collection, row: dict[str, Any]) -> None:
        self.service.deleted(collection, row)

    def abandoned(self) -> None:
        discard_abandoned()


FILE_STEP = FileStep()
