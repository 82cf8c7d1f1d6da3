"""The expression language's one exception type (and its 403 flavour)."""

from __future__ import annotations


class ExpressionError(Exception):
    """A filter, sort or rule that cannot be parsed or resolved.

    The API layer answers 400 with its generic message; ``str(exc)`` holds the
    detail for the logs only (wire-api §0.1: internal details never reach the body).
    """


class ForbiddenExpression(ExpressionError):
    """A non-superuser client filter or sort used ``@request.*`` or ``@collection.*``.

    ``message`` is the wire message of the 403 (wire-api §0.2).
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.message = f"Only superusers can filter by {prefix}"
        super().__init__(self.message)
