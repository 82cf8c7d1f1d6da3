"""Schema-level signals, sent after commit."""

from django.dispatch import Signal

collection_deleted = Signal()  # kwargs: collection
