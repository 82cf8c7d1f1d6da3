"""The one record service every path to data goes through (DESIGN §5)."""

from baas.collections.records.service import RecordService

__all__ = ["RecordService"]
