"""SQL math functions for SQLite builds compiled without them (geoDistance needs them).

Python's bundled SQLite usually has ``sin``/``acos``/``radians`` (SQLITE_ENABLE_MATH_FUNCTIONS);
when a build lacks them, these Python versions are registered on each new connection.
Connect ``install`` once, e.g. in ``CollectionsConfig.ready()``::

    from django.db.backends.signals import connection_created
    from baas.collections.expr.sqlite_functions import install
    connection_created.connect(install, dispatch_uid="baas_sqlite_math")
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from typing import Any

from .values import sqlite_numeric


def _numeric(value: Any) -> float | None:
    """SQLite's math functions read numeric-looking text as a number; other text is NULL."""
    if value is None or isinstance(value, bytes):
        return None
    if isinstance(value, str):
        return sqlite_numeric(value)
    return float(value)


def _math(function: Callable[[float], float]) -> Callable[[Any], float | None]:
    def call(value: Any) -> float | None:
        number = _numeric(value)
        if number is None:
            return None
        try:
            result = function(number)
        except (ValueError, OverflowError):  # outside the domain: NULL, as SQLite
            return None
        return None if math.isnan(result) else result

    return call


FUNCTIONS: dict[str, Callable[[Any], float | None]] = {
    "sin": _math(math.sin),
    "cos": _math(math.cos),
    "acos": _math(math.acos),
    "radians": _math(math.radians),
}


def missing_math(raw: sqlite3.Connection) -> bool:
    try:
        raw.execute("SELECT sin(1), acos(1), radians(1)").fetchone()
    except sqlite3.OperationalError:
        return True
    return False


def register(raw: sqlite3.Connection) -> None:
    for name, function in FUNCTIONS.items():
        raw.create_function(name, 1, function, deterministic=True)


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: add the functions when this SQLite lacks them."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    if missing_math(raw):
        register(raw)
