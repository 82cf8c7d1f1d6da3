"""Django's PostgreSQL backend, with a health check that does not cost a round trip per
request on a busy connection (``ENGINE`` ``baas.db.postgresql``, set by baas.settings).

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every
request, so that a connection PostgreSQL dropped while it sat idle (a restart, a
failover, an idle timeout) is replaced instead of failing the request. On a connection
that answered less than ``RECHECK_AFTER`` seconds ago and that psycopg has not marked
broken, that round trip only repeats what the last query proved: it is skipped. A
connection idle for longer is checked as before. What this gives up: if PostgreSQL goes
away less than a second after a connection's last query, that connection's next request
fails once (as in-flight requests do anyway); Django then closes it and the next
request reconnects.
"""

from __future__ import annotations

import time
from typing import Any

from django.db.backends.postgresql import base

RECHECK_AFTER = 1.0  # seconds since the connection's last use


class DatabaseWrapper(base.DatabaseWrapper):
    last_used = 0.0

    def _cursor(self, name: Any = None) -> Any:
        cursor = super()._cursor(name)  # type: ignore[misc]
        self.last_used = time.monotonic()
        return cursor

    def close_if_health_check_failed(self) -> None:
        connection = self.connection
        if (
            connection is not None
            and self.health_check_enabled  # type: ignore[attr-defined]
            and not self.health_check_done  # type: ignore[has-type]
            and not connection.broken
            and time.monotonic() - self.last_used < RECHECK_AFTER
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
