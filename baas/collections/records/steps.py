"""Extension point: steps other apps add to every record write (STYLE §1).

The storage app registers its file step here from ``AppConfig.ready()``; the record
service calls each step at fixed points of create, update and delete, so a write
that fails anywhere leaves no file behind and replaced files go only after commit.
"""

from __future__ import annotations

from typing import Any, Protocol

from baas.collections.models import Collection
from baas.collections.records.payload import Submission


class WriteStep(Protocol):
    def prepare(
        self,
        collection: Collection,
        submission: Submission,
        row: dict[str, Any],
        existing: dict[str, Any] | None,
        errors: dict[str, Any],
    ) -> None:
        """Before validation: fill ``row`` from the submission; add field errors."""

    def written(
        self, collection: Collection, row: dict[str, Any], existing: dict[str, Any] | None
    ) -> None:
        """Inside the transaction, after the row is stored (schedule on_commit work here)."""

    def failed(
        self, collection: Collection, row: dict[str, Any], existing: dict[str, Any] | None
    ) -> None:
        """The write did not happen: undo anything ``prepare`` did outside the database."""

    def deleted(self, collection: Collection, row: dict[str, Any]) -> None:
        """Inside the transaction of a delete (schedule on_commit cleanup here)."""

    def abandoned(self) -> None:
        """An outer transaction (a batch) rolled back after earlier writes of this step
        succeeded: remove whatever they stored outside the database since the last commit."""


# Optional, looked up with getattr (a step without it counts as False):
#
#     def prepares_inside(self, collection: Collection, submission: Submission) -> bool:
#         """Whether this step's ``prepare`` of an update does nothing outside the
#         database (stores no file, runs no hook handler), so the update may be prepared
#         inside its write transaction, from one locked read of the row."""


WRITE_STEPS: list[WriteStep] = []


def abandon_all() -> None:
    for step in WRITE_STEPS:
        step.abandoned()


def register_step(step: WriteStep) -> None:
    if step not in WRITE_STEPS:
        WRITE_STEPS.append(step)
